-- Who may say what was deployed. Apps record their Forge app id (given when the app is created,
-- or taken from its first deploy), so that a deploy whose manifest names another app is refused
-- and no two apps claim one Forge app. Versions record the role of whoever reported them, and a
-- `platform` role exists for the deployment pipeline's service account.

ALTER TABLE apps ADD COLUMN forge_app_id TEXT;
CREATE UNIQUE INDEX apps_forge_app_id ON apps (forge_app_id);

ALTER TABLE versions ADD COLUMN reported_by TEXT NOT NULL DEFAULT 'partner'
    CHECK (reported_by IN ('partner', 'staff', 'platform'));
UPDATE versions SET reported_by = 'staff'
    WHERE deployed_by IN (SELECT id FROM users WHERE role = 'staff');

-- SQLite cannot change a CHECK constraint: the users table is rebuilt with the new role. Rows
-- that refer to users are checked when the migration commits, against the rebuilt table.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE users_rebuilt (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('partner', 'staff', 'site-admin', 'platform')),
    partner_id  INTEGER REFERENCES partners (id),
    site        TEXT,
    created_at  TEXT NOT NULL,
    disabled_at TEXT,
    CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);
INSERT INTO users_rebuilt (id, name, email, role, partner_id, site, created_at, disabled_at)
    SELECT id, name, email, role, partner_id, site, created_at, disabled_at FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
