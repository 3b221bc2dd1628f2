-- DPoP (RFC 9449 §5): a public client's refresh family is bound to the key (RFC 7638
-- thumbprint) of the proof that started it; every refresh must prove that key.
ALTER TABLE refresh_families ADD COLUMN dpop_jkt TEXT;
