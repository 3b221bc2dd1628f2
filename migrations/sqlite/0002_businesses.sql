-- Businesses, branches, roles (named sets of product scopes) and memberships, plus the
-- branch context carried by authorization codes and refresh families.

CREATE TABLE businesses (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE branches (
    id          TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (business_id, name)
);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (business_id, name)
);

-- branch_id NULL: the role holds in every branch of the business.
CREATE TABLE memberships (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    business_id TEXT NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    branch_id   TEXT REFERENCES branches(id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX memberships_unique
    ON memberships(user_id, business_id, COALESCE(branch_id, ''), role_id);
CREATE INDEX memberships_business ON memberships(business_id);

ALTER TABLE authorization_codes ADD COLUMN org TEXT;
ALTER TABLE authorization_codes ADD COLUMN branch TEXT;
ALTER TABLE refresh_families ADD COLUMN org TEXT;
ALTER TABLE refresh_families ADD COLUMN branch TEXT;
