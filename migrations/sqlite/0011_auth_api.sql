-- The first-party auth API (`/v1/auth/*`): whether a product lets people sign up on their
-- own, and the pending second factor of an API sign-in (`mfa_token`, stored hashed, five
-- minutes, spent in the transaction that signs the user in).
ALTER TABLE products ADD COLUMN self_registration INTEGER NOT NULL DEFAULT 0;

CREATE TABLE auth_mfa_tokens (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    -- The sign-in's request: scope as asked, the branch chosen (or null), the methods
    -- so far (`pwd`).
    scope      TEXT NOT NULL,
    branch     TEXT,
    amr        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX auth_mfa_tokens_expiry ON auth_mfa_tokens(expires_at);
