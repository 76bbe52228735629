-- Automated signals for approval programs: health-check polls and installation callbacks kept as
-- hourly buckets (a 28-day window is at most 672 rows per metric, whatever the polling rate),
-- stretches of time left out of the SLOs (downtime the partner announced, incidents the
-- marketplace caused), days on which an SLO was breached, vulnerability records with their due
-- dates, and each app's bug bounty. Partners get a security contact.
-- Keep in step with ../postgres/0012_signals.sql.

CREATE TABLE signal_hours (
    app_id  INTEGER NOT NULL REFERENCES apps (id),
    metric  TEXT NOT NULL,
    hour    TEXT NOT NULL,
    total   INTEGER NOT NULL,
    good    INTEGER NOT NULL,
    PRIMARY KEY (app_id, metric, hour)
);

CREATE TABLE signal_windows (
    id          INTEGER PRIMARY KEY,
    app_id      INTEGER NOT NULL REFERENCES apps (id),
    kind        TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX signal_windows_app ON signal_windows (app_id, ends_at);

CREATE TABLE slo_breaches (
    app_id  INTEGER NOT NULL REFERENCES apps (id),
    metric  TEXT NOT NULL,
    day     TEXT NOT NULL,
    PRIMARY KEY (app_id, metric, day)
);

CREATE TABLE vulnerabilities (
    id           INTEGER PRIMARY KEY,
    app_id       INTEGER NOT NULL REFERENCES apps (id),
    external_id  TEXT NOT NULL,
    severity     TEXT NOT NULL,
    source       TEXT NOT NULL,
    reported_at  TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    fixed_at     TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (app_id, external_id)
);

CREATE TABLE bug_bounties (
    app_id      INTEGER PRIMARY KEY REFERENCES apps (id),
    state       TEXT NOT NULL,
    paid        INTEGER NOT NULL,
    since       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

ALTER TABLE partners ADD COLUMN security_contact TEXT;
