-- apptrust schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql: the same tables,
-- columns and constraints, so that one set of queries serves both databases.
-- Times are RFC 3339 UTC text with fixed width, so they sort as text.

CREATE TABLE partners (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('partner', 'staff', 'site-admin')),
    partner_id  INTEGER REFERENCES partners (id),
    site        TEXT,
    created_at  TEXT NOT NULL,
    CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    token_hash  TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    session_hash  TEXT NOT NULL UNIQUE,
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);

CREATE TABLE apps (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    partner_id  INTEGER NOT NULL REFERENCES partners (id),
    framework   TEXT NOT NULL CHECK (framework IN ('forge', 'connect')),
    created_at  TEXT NOT NULL
);

CREATE TABLE environments (
    id            INTEGER PRIMARY KEY,
    app_id        INTEGER NOT NULL REFERENCES apps (id),
    name          TEXT NOT NULL,
    deploy_count  INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    UNIQUE (app_id, name)
);

-- A version is what one deployment created: the manifest as deployed and who deployed it.
CREATE TABLE versions (
    id               INTEGER PRIMARY KEY,
    app_id           INTEGER NOT NULL REFERENCES apps (id),
    environment_id   INTEGER NOT NULL REFERENCES environments (id),
    major            INTEGER NOT NULL,
    minor            INTEGER NOT NULL,
    patch            INTEGER NOT NULL,
    manifest         TEXT NOT NULL,
    manifest_sha256  TEXT NOT NULL,
    change_report    TEXT,
    idempotency_key  TEXT,
    deployed_by      INTEGER NOT NULL REFERENCES users (id),
    deployed_at      TEXT NOT NULL,
    UNIQUE (environment_id, major, minor, patch),
    UNIQUE (app_id, idempotency_key)
);

CREATE TABLE evaluations (
    id              INTEGER PRIMARY KEY,
    version_id      INTEGER NOT NULL REFERENCES versions (id),
    engine_version  TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    rules           TEXT NOT NULL,
    blockers        TEXT NOT NULL,
    findings        TEXT NOT NULL,
    -- Findings beyond the stored maximum are counted, not kept.
    findings_omitted INTEGER NOT NULL DEFAULT 0,
    evaluated_at    TEXT NOT NULL,
    current         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX evaluations_current ON evaluations (version_id) WHERE current = 1;
-- Every evaluation of a version, oldest first (the deploy-time one answers replays).
CREATE INDEX evaluations_version ON evaluations (version_id, id);
CREATE INDEX evaluations_stale ON evaluations (engine_version, version_id) WHERE current = 1;

-- The current state of each badge of each app.
CREATE TABLE badges (
    app_id       INTEGER NOT NULL REFERENCES apps (id),
    program      TEXT NOT NULL,
    status       TEXT NOT NULL,
    version      TEXT,
    environment  TEXT,
    reasons      TEXT NOT NULL,
    since        TEXT NOT NULL,
    PRIMARY KEY (app_id, program)
);

CREATE TABLE badge_events (
    id           INTEGER PRIMARY KEY,
    app_id       INTEGER NOT NULL REFERENCES apps (id),
    program      TEXT NOT NULL,
    at           TEXT NOT NULL,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    cause        TEXT NOT NULL,
    version      TEXT,
    reasons      TEXT NOT NULL,
    reference    TEXT
);
CREATE INDEX badge_events_app ON badge_events (app_id, id);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Background jobs. A job runs on one instance at a time: the one holding an unexpired lease.
CREATE TABLE jobs (
    name         TEXT PRIMARY KEY,
    lease_owner  TEXT,
    lease_until  TEXT,
    target       TEXT,
    done         INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL
);
