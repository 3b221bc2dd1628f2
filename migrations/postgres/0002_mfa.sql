-- The same as migrations/sqlite/0010_mfa.sql.
-- Multi-factor sign-in: TOTP with recovery codes, passkeys, the MFA policy, and how each
-- sign-in authenticated (RFC 8176 methods, space-separated: `pwd`, `pwd otp`,
-- `hwk user`, ...), carried from the SSO session to its codes and refresh families so
-- every token says how its sign-in was made.
ALTER TABLE users ADD COLUMN mfa_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE products ADD COLUMN mfa TEXT NOT NULL DEFAULT 'optional'
    CHECK (mfa IN ('optional', 'required'));
ALTER TABLE sso_sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE authorization_codes ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE refresh_families ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

-- One authenticator app per user. The secret is sealed with the key-encryption key, like
-- the signing keys; `last_step` is the last RFC 6238 time step accepted, so a code is
-- good once. `confirmed_at` is null while enrollment waits for the first code.
CREATE TABLE totp_factors (
    user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret       BYTEA NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

-- Single-use recovery codes, stored hashed.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- WebAuthn credentials. `passkey` is the library's credential record (public key,
-- counter), sealed with the key-encryption key.
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id BYTEA NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    passkey       BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- WebAuthn ceremonies in flight: the challenge state between the options and the
-- browser's answer (single use, a few minutes).
CREATE TABLE webauthn_ceremonies (
    id         TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    state      BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);
