-- Tessera foundation schema: users, products and their clients, signing keys,
-- SSO sessions, login interactions, codes, refresh families, access tokens, audit.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT,
    given_name     TEXT,
    family_name    TEXT,
    locale         TEXT,
    email_verified INTEGER NOT NULL DEFAULT 0,
    password_hash  TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    is_superadmin  INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE products (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    scopes            TEXT NOT NULL DEFAULT '[]',
    audience          TEXT,
    access_token_ttl  INTEGER NOT NULL DEFAULT 600,
    refresh_token_ttl INTEGER NOT NULL DEFAULT 2592000,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- kind: 'web' (public, PKCE), 'server' (confidential, client_credentials), 'admin' (CLI-made, admin scope).
CREATE TABLE clients (
    client_id         TEXT PRIMARY KEY,
    product_id        TEXT REFERENCES products(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('web', 'server', 'admin')),
    name              TEXT NOT NULL,
    secret_hash       BLOB,
    scopes            TEXT NOT NULL DEFAULT '[]',
    created_at        INTEGER NOT NULL,
    secret_rotated_at INTEGER
);
CREATE INDEX clients_product ON clients(product_id);

CREATE TABLE client_redirect_uris (
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('login', 'post_logout')),
    uri       TEXT NOT NULL,
    PRIMARY KEY (client_id, kind, uri)
);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    private_enc BLOB NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER,
    expires_at  INTEGER
);

CREATE TABLE sso_sessions (
    id         TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at   INTEGER,
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX sso_sessions_user ON sso_sessions(user_id);

-- A pending authorization request waiting for the user to sign in.
CREATE TABLE interactions (
    id         TEXT PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    request    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE refresh_families (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id     TEXT,
    scope          TEXT NOT NULL,
    auth_time      INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoked_reason TEXT
);
CREATE INDEX refresh_families_user ON refresh_families(user_id);

CREATE TABLE authorization_codes (
    code_hash      BLOB PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id     TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT NOT NULL,
    auth_time      INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    family_id      TEXT
);

CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);

-- User-bound access tokens (so a revoked family or code replay deactivates them) and
-- explicitly revoked access tokens of any kind. client_credentials tokens get a row only when revoked.
CREATE TABLE access_tokens (
    jti        TEXT PRIMARY KEY,
    family_id  TEXT,
    client_id  TEXT NOT NULL,
    user_id    TEXT,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX access_tokens_family ON access_tokens(family_id);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    type       TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    actor      TEXT,
    subject    TEXT,
    client_id  TEXT,
    org        TEXT,
    branch     TEXT,
    jti        TEXT,
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT
);
CREATE INDEX audit_events_type_at ON audit_events(type, at);
CREATE INDEX audit_events_subject ON audit_events(subject, id);
CREATE INDEX audit_events_at ON audit_events(at);

CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
