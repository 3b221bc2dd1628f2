-- Refresh families get an absolute end (RFC 9700 §4.14.2: rotation must not extend a
-- sign-in forever). Each product sets how long one sign-in may be refreshed (default 90
-- days); a rotated refresh token never outlives its family.
ALTER TABLE products ADD COLUMN refresh_family_ttl INTEGER NOT NULL DEFAULT 7776000;
ALTER TABLE refresh_families ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE refresh_families SET expires_at = created_at + 7776000;
