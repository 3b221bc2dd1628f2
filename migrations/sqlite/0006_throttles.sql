-- Sign-in throttles: one counter per (scope, key), shared by every node on the same
-- database. scope 'account' (key = user id, or a hash of an unknown email), 'ip' (client
-- IP; IPv6 by /64) or 'client' (client_id at client authentication).
-- failures/window_start: failures in the current window; strikes: throttles so far (the
-- backoff grows with them); until: throttled until (unix s, 0 = never); throttled_at: when
-- the last throttle began; tripped: 1 when the last recorded failure began a throttle.
CREATE TABLE throttles (
    scope        TEXT NOT NULL CHECK (scope IN ('account', 'ip', 'client')),
    key          TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    strikes      INTEGER NOT NULL DEFAULT 0,
    until        INTEGER NOT NULL DEFAULT 0,
    throttled_at INTEGER NOT NULL DEFAULT 0,
    tripped      INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
-- The admin listing (throttled now) and the hourly prune.
CREATE INDEX throttles_until ON throttles(until);
CREATE INDEX throttles_updated ON throttles(updated_at);
