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

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('partner', 'staff', 'site-admin', 'platform'));
