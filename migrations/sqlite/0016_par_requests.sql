-- Pushed authorization requests (RFC 9126): the request_uri is stored as SHA-256 only,
-- with the client it belongs to and the pushed parameters (JSON object); spent once by
-- a conditional UPDATE at /oauth/authorize, pruned after `expires_at`.
CREATE TABLE par_requests (
    request_hash BLOB PRIMARY KEY,
    client_id    TEXT NOT NULL,
    params       TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX par_requests_expiry ON par_requests(expires_at);
