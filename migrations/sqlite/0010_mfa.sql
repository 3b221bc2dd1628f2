-- Multi-factor sign-in: TOTP with recovery codes, passkeys, the MFA policy, and how each
-- sign-in authenticated (RFC 8176 methods, space-separated: `pwd`, `pwd otp`,
-- `hwk user`, ...), carried from the SSO session to its codes and refresh families so
-- every token says how its sign-in was made.
ALTER TABLE users ADD COLUMN mfa_required INTEGER NOT NULL DEFAULT 0;
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
    secret       BLOB NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

-- Single-use recovery codes, stored hashed.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- WebAuthn credentials. `passkey` is the library's credential record (public key,
-- counter), sealed with the key-encryption key.
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id BLOB NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    passkey       BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- WebAuthn ceremonies in flight: the challenge state between the options and the
-- browser's answer (single use, a few minutes).
CREATE TABLE webauthn_ceremonies (
    id         TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    state      BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);
