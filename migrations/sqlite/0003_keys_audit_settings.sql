-- Settings an admin may change at run time, and audit indexes for the query API:
-- every filter walks an index in (at, id) order, so newest-first pages need no sort.

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Replaces (subject, id): pages are ordered by (at, id); the rowid rides along in every index.
DROP INDEX IF EXISTS audit_events_subject;
CREATE INDEX audit_events_subject_at ON audit_events(subject, at) WHERE subject IS NOT NULL;
CREATE INDEX audit_events_client_at ON audit_events(client_id, at) WHERE client_id IS NOT NULL;
CREATE INDEX audit_events_branch_at ON audit_events(branch, at) WHERE branch IS NOT NULL;
-- Failures are rare: a partial index finds them without walking every success.
CREATE INDEX audit_events_failures_at ON audit_events(at) WHERE outcome = 'failure';
