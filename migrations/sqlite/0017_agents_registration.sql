-- Agents, token exchange, dynamic registration (PRODUCT.md "Agents, token exchange,
-- dynamic registration"). SQLite cannot change a CHECK constraint, so `clients` is
-- rebuilt with two more kinds, by SQLite's documented 12-step table change: foreign keys
-- must be off, so dropping the old table cascades to no child row, and that pragma is a
-- no-op inside a transaction. sqlx runs every SQLite migration in one (it ignores
-- `-- no-transaction` there), so this script ends it, runs its own, and opens a new one
-- for sqlx's bookkeeping and commit.
COMMIT;
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

-- kind: 'web' (a product's sign-in client), 'server' (a product's client_credentials
-- client), 'admin' (CLI-made, admin scope), 'agent' (a product's agent: client_credentials
-- and token exchange), 'dynamic' (registered through /oauth/register: third-party, no
-- product).
CREATE TABLE clients_new (
    client_id                  TEXT PRIMARY KEY,
    product_id                 TEXT REFERENCES products(id) ON DELETE CASCADE,
    kind                       TEXT NOT NULL
                               CHECK (kind IN ('web', 'server', 'admin', 'agent', 'dynamic')),
    name                       TEXT NOT NULL,
    secret_hash                BLOB,
    scopes                     TEXT NOT NULL DEFAULT '[]',
    created_at                 INTEGER NOT NULL,
    secret_rotated_at          INTEGER,
    token_endpoint_auth_method TEXT,
    application_type           TEXT NOT NULL DEFAULT 'web',
    allowed_origins            TEXT,
    require_par                BOOLEAN NOT NULL DEFAULT 0,
    dpop_bound                 BOOLEAN NOT NULL DEFAULT 0,
    jwks                       TEXT,
    jwks_uri                   TEXT,
    -- A server client allowed the token-exchange grant (agents always are).
    token_exchange             BOOLEAN NOT NULL DEFAULT 0,
    -- Dynamic clients: SHA-256 of the RFC 7592 registration access token, the initial
    -- access token that admitted it (NULL = open registration), its RFC 7591 metadata as
    -- registered (JSON object: client_name, logo_uri, client_uri, policy_uri, tos_uri,
    -- contacts, grant_types, response_types, software_id, software_version, scope).
    registration_token_hash    BLOB,
    registered_via             TEXT,
    metadata                   TEXT,
    -- When a token was last issued to it (dynamic clients; written at most once a minute).
    last_used_at               INTEGER,
    -- A disabled client is unknown to the protocol endpoints until enabled again.
    disabled_at                INTEGER
);
INSERT INTO clients_new (client_id, product_id, kind, name, secret_hash, scopes, created_at,
                         secret_rotated_at, token_endpoint_auth_method, application_type,
                         allowed_origins, require_par, dpop_bound, jwks, jwks_uri)
SELECT client_id, product_id, kind, name, secret_hash, scopes, created_at, secret_rotated_at,
       token_endpoint_auth_method, application_type, allowed_origins, require_par, dpop_bound,
       jwks, jwks_uri
FROM clients;
DROP TABLE clients;
ALTER TABLE clients_new RENAME TO clients;
CREATE INDEX clients_product ON clients(product_id);
CREATE UNIQUE INDEX clients_registration_token ON clients(registration_token_hash);

-- RFC 8707 resource indicators: the APIs a product serves besides its `audience`
-- (JSON array of absolute URIs), and the resource a code or refresh family is for.
ALTER TABLE products ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE authorization_codes ADD COLUMN resource TEXT;
ALTER TABLE refresh_families ADD COLUMN resource TEXT;

-- Initial access tokens for dynamic client registration (RFC 7591 §3), made by a
-- super-admin: hashed, with an expiry and a use count; revocable.
CREATE TABLE registration_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    created_by   TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    max_uses     INTEGER NOT NULL,
    uses         INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- Third-party consent, remembered per user and client: the scopes the user approved.
CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client ON consents(client_id);

COMMIT;
PRAGMA foreign_keys = ON;
BEGIN;
