-- Tessera on PostgreSQL: the same schema as migrations/sqlite/0001..0009, in one step.
-- Integers are BIGINT (Rust i64), byte strings BYTEA, flags BOOLEAN; JSON lists stay TEXT
-- (read with ::jsonb where a query looks inside). `rowid` columns keep insertion order
-- where SQLite's implicit rowid is used for it.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    name           TEXT,
    given_name     TEXT,
    family_name    TEXT,
    locale         TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash  TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    is_superadmin  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
-- SQLite: UNIQUE COLLATE NOCASE (ASCII case); lookups use lower(email) here.
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

CREATE TABLE products (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    scopes             TEXT NOT NULL DEFAULT '[]',
    audience           TEXT,
    access_token_ttl   BIGINT NOT NULL DEFAULT 600,
    refresh_token_ttl  BIGINT NOT NULL DEFAULT 2592000,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    refresh_family_ttl BIGINT NOT NULL DEFAULT 7776000,
    rowid              BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE clients (
    client_id         TEXT PRIMARY KEY,
    product_id        TEXT REFERENCES products(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('web', 'server', 'admin')),
    name              TEXT NOT NULL,
    secret_hash       BYTEA,
    scopes            TEXT NOT NULL DEFAULT '[]',
    created_at        BIGINT NOT NULL,
    secret_rotated_at BIGINT
);
CREATE INDEX clients_product ON clients(product_id);

CREATE TABLE client_redirect_uris (
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('login', 'post_logout')),
    uri       TEXT NOT NULL,
    rowid     BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (client_id, kind, uri)
);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    private_enc BYTEA NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT,
    expires_at  BIGINT
);

CREATE TABLE sso_sessions (
    id         TEXT PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at   BIGINT,
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX sso_sessions_user ON sso_sessions(user_id);

CREATE TABLE interactions (
    id         TEXT PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    request    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE refresh_families (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id     TEXT,
    scope          TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT,
    org            TEXT,
    branch         TEXT,
    expires_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refresh_families_user ON refresh_families(user_id);
CREATE INDEX refresh_families_client ON refresh_families(client_id);

CREATE TABLE authorization_codes (
    code_hash      BYTEA PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id     TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    family_id      TEXT,
    org            TEXT,
    branch         TEXT
);
CREATE INDEX authorization_codes_expires ON authorization_codes(expires_at);

CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);

CREATE TABLE access_tokens (
    jti        TEXT PRIMARY KEY,
    family_id  TEXT,
    client_id  TEXT NOT NULL,
    user_id    TEXT,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX access_tokens_family ON access_tokens(family_id);
CREATE INDEX access_tokens_client ON access_tokens(client_id);

CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
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
-- Every audit filter walks one of these in (at, id) order.
CREATE INDEX audit_events_at ON audit_events(at, id);
CREATE INDEX audit_events_type_at ON audit_events(type, at, id);
CREATE INDEX audit_events_subject_at ON audit_events(subject, at, id) WHERE subject IS NOT NULL;
CREATE INDEX audit_events_actor_at ON audit_events(actor, at, id) WHERE actor IS NOT NULL;
CREATE INDEX audit_events_client_at ON audit_events(client_id, at, id) WHERE client_id IS NOT NULL;
CREATE INDEX audit_events_org_at ON audit_events(org, at, id) WHERE org IS NOT NULL;
CREATE INDEX audit_events_branch_at ON audit_events(branch, at, id) WHERE branch IS NOT NULL;
CREATE INDEX audit_events_failures_at ON audit_events(at, id) WHERE outcome = 'failure';

-- Append-only: an event is never changed (retention deletes whole old events).
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE businesses (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE branches (
    id          TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (business_id, name)
);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (business_id, name)
);

CREATE TABLE memberships (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    branch_id   TEXT REFERENCES branches(id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX memberships_unique
    ON memberships(user_id, business_id, COALESCE(branch_id, ''), role_id);
CREATE INDEX memberships_business ON memberships(business_id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE idempotency_keys (
    subject      TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  BYTEA NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done', 'secret_shown')),
    status       BIGINT,
    content_type TEXT,
    body         BYTEA,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (subject, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

CREATE TABLE throttles (
    scope        TEXT NOT NULL CHECK (scope IN ('account', 'ip', 'client')),
    key          TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    strikes      BIGINT NOT NULL DEFAULT 0,
    until        BIGINT NOT NULL DEFAULT 0,
    throttled_at BIGINT NOT NULL DEFAULT 0,
    tripped      BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX throttles_until ON throttles(until);
CREATE INDEX throttles_updated ON throttles(updated_at);
