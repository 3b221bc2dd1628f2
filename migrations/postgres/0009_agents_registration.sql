-- Agents, token exchange, dynamic registration (PRODUCT.md "Agents, token exchange,
-- dynamic registration"); the same schema as sqlite/0017.

-- kind: 'web', 'server', 'admin', 'agent' (a product's agent: client_credentials and
-- token exchange), 'dynamic' (registered through /oauth/register: third-party, no product).
ALTER TABLE clients DROP CONSTRAINT clients_kind_check;
ALTER TABLE clients ADD CONSTRAINT clients_kind_check
    CHECK (kind IN ('web', 'server', 'admin', 'agent', 'dynamic'));
-- A server client allowed the token-exchange grant (agents always are).
ALTER TABLE clients ADD COLUMN token_exchange BOOLEAN NOT NULL DEFAULT FALSE;
-- Dynamic clients: SHA-256 of the RFC 7592 registration access token, the initial access
-- token that admitted it (NULL = open registration), its RFC 7591 metadata (JSON object).
ALTER TABLE clients ADD COLUMN registration_token_hash BYTEA;
ALTER TABLE clients ADD COLUMN registered_via TEXT;
ALTER TABLE clients ADD COLUMN metadata TEXT;
-- When a token was last issued to it (dynamic clients; written at most once a minute).
ALTER TABLE clients ADD COLUMN last_used_at BIGINT;
-- A disabled client is unknown to the protocol endpoints until enabled again.
ALTER TABLE clients ADD COLUMN disabled_at BIGINT;
CREATE UNIQUE INDEX clients_registration_token ON clients(registration_token_hash);

-- RFC 8707 resource indicators.
ALTER TABLE products ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
ALTER TABLE authorization_codes ADD COLUMN resource TEXT;
ALTER TABLE refresh_families ADD COLUMN resource TEXT;

CREATE TABLE registration_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    created_by   TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    max_uses     BIGINT NOT NULL,
    uses         BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client ON consents(client_id);
