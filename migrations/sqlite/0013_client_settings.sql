-- Every kind of app (PRODUCT.md "Kinds of apps"): the settings of a product's web client,
-- and the single-use identifiers of client assertions and DPoP proofs.

-- How the client authenticates at the token endpoint: NULL keeps its kind's rule (a web
-- client public, `none`; server and admin clients their secret); else `none`,
-- `client_secret_basic`, `client_secret_post` or `private_key_jwt`.
ALTER TABLE clients ADD COLUMN token_endpoint_auth_method TEXT;
-- `web` or `native` (RFC 8252: private-use schemes, loopback redirects on any port).
ALTER TABLE clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web';
-- JSON array of browser origins allowed by CORS; NULL = the redirect URIs' origins.
ALTER TABLE clients ADD COLUMN allowed_origins TEXT;
ALTER TABLE clients ADD COLUMN require_par BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN dpop_bound BOOLEAN NOT NULL DEFAULT 0;
-- `private_key_jwt`: the client's public keys, inline (a JWK Set as JSON) or by URL.
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;

-- Identifiers that may be used once (a client assertion's `jti`, a DPoP proof's `jti`),
-- kept until the token carrying them expires. `purpose` keeps the kinds apart; `key` is
-- what makes one unique within it (e.g. client id + jti).
CREATE TABLE used_jtis (
    purpose    TEXT NOT NULL,
    key        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (purpose, key)
);
CREATE INDEX used_jtis_expiry ON used_jtis(expires_at);
