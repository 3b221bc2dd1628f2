-- Email: one-time links (password reset, email verification, invitations) and the durable
-- outbox the sender works through.

-- A pending invitation: the user was invited by email and has not set a password yet
-- (their `password_hash` is empty, which no password matches).
ALTER TABLE users ADD COLUMN invited_at INTEGER;

-- Links sent by email, stored as the SHA-256 of their token. Single use (`used_at`), with
-- an absolute end; `client_id` names the product the email was about (its name in the
-- email, where the user goes afterwards).
CREATE TABLE email_links (
    token_hash BLOB PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('reset', 'verify', 'invite')),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_links_user ON email_links(user_id, kind, created_at);

-- Emails waiting to go out, and what became of them. Written in the transaction of the
-- change that needs the email, so none is lost; the body (it may carry a link) is sealed
-- with the key-encryption key and dropped once sent. `next_attempt_at` is also the lease
-- a sender takes, so a crashed sender's email is tried again.
CREATE TABLE email_outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            BLOB,
    status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX email_outbox_due ON email_outbox(status, next_attempt_at);
CREATE INDEX email_outbox_created ON email_outbox(created_at, id);
