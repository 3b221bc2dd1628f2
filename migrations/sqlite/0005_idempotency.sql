-- Idempotency-Key records for /v1 writes: one row per (admin subject, key) holding the
-- request fingerprint and, once answered, the stored response (kept 24 h, pruned on write).
-- state: 'pending' (in flight), 'done' (response stored), 'secret_shown' (the response
-- carried a client_secret, so its body is NOT stored and a replay is refused).
CREATE TABLE idempotency_keys (
    subject      TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  BLOB NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done', 'secret_shown')),
    status       INTEGER,
    content_type TEXT,
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (subject, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
