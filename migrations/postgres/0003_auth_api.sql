-- The same as migrations/sqlite/0011_auth_api.sql.
-- The first-party auth API (`/v1/auth/*`): whether a product lets people sign up on their
-- own, and the pending second factor of an API sign-in (`mfa_token`, stored hashed, five
-- minutes, spent in the transaction that signs the user in).
ALTER TABLE products ADD COLUMN self_registration BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE auth_mfa_tokens (
    token_hash BYTEA PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    -- The sign-in's request: scope as asked, the branch chosen (or null), the methods
    -- so far (`pwd`).
    scope      TEXT NOT NULL,
    branch     TEXT,
    amr        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_mfa_tokens_expiry ON auth_mfa_tokens(expires_at);
