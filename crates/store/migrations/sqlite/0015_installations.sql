-- Customer sites, the apps installed on them, and the admins' choices: the egress switches of
-- each installation, consent to new major versions, and the site's policies for new
-- installations. Site admins are users with role `site-admin` whose `site` is a site's key.
-- Keep in step with ../postgres/0015_installations.sql.

CREATE TABLE sites (
    id                          INTEGER PRIMARY KEY,
    key                         TEXT NOT NULL UNIQUE,
    -- The site's data-residency location: a Forge region key (EU, US, ...).
    residency                   TEXT NOT NULL,
    -- Policy: the badges (JSON list of badge keys) an app must carry to be installed.
    required_badges             TEXT NOT NULL DEFAULT '[]',
    -- Policy: allow-analytics-egress of new installations (1 on, 0 off).
    analytics_egress_default    INTEGER NOT NULL DEFAULT 1,
    revision                    INTEGER NOT NULL DEFAULT 1,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL
);

-- One app on one site. The version in force is the latest production version of `major`:
-- minors of the installed major apply as they come; a newer major waits for consent.
CREATE TABLE installations (
    id                      INTEGER PRIMARY KEY,
    site_id                 INTEGER NOT NULL REFERENCES sites (id),
    app_id                  INTEGER NOT NULL REFERENCES apps (id),
    major                   INTEGER NOT NULL,
    allow_analytics_egress  INTEGER NOT NULL,
    allow_logs_access       INTEGER NOT NULL,
    -- The newest major an admin declined (asked again when a newer one comes).
    declined_major          INTEGER,
    -- Why the installation breaks its site's policy now (JSON list), NULL when it does not.
    policy_breaks           TEXT,
    revision                INTEGER NOT NULL DEFAULT 1,
    installed_at            TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    -- Set when the app was uninstalled; installing it again brings the row back.
    uninstalled_at          TEXT,
    UNIQUE (site_id, app_id)
);
CREATE INDEX installations_app ON installations (app_id) WHERE uninstalled_at IS NULL;

-- A notification for a site's admins (about an app installed there) names the site; the app's
-- partner never receives those.
ALTER TABLE notifications ADD COLUMN site_id INTEGER REFERENCES sites (id);
CREATE INDEX notifications_site ON notifications (site_id, id) WHERE site_id IS NOT NULL;
