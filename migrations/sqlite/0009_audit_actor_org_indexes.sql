-- The audit filters by person, product and business (`user`, `business`, `org`) read
-- events by actor and by business like the other filters: an index per column in
-- (at, id) order, so a newest-first page walks it without a sort.
CREATE INDEX audit_events_actor_at ON audit_events(actor, at) WHERE actor IS NOT NULL;
CREATE INDEX audit_events_org_at ON audit_events(org, at) WHERE org IS NOT NULL;
