-- Cloud Fortified after approval: annual reviews and escalations are "cases", each one aggregate
-- kept as a JSON document written by the domain model (apptrust_programs::fortified), with the
-- columns the calendar and the queues filter and sort on beside it, and a revision so that two
-- concurrent edits cannot both land. `unique_key` names what may be open only once per app and
-- program (a review's year, a system escalation's cause); `closed_at` is set once it is decided.
-- Partners get a time zone: annual reviews fall on the partner's calendar.
-- Keep in step with ../postgres/0011_cases.sql.

ALTER TABLE partners ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    app_id         INTEGER NOT NULL REFERENCES apps (id),
    program        TEXT NOT NULL,
    submission_id  INTEGER REFERENCES submissions (id),
    unique_key     TEXT,
    state          TEXT NOT NULL,
    ball           TEXT NOT NULL,
    due_at         TEXT,
    sort_at        TEXT NOT NULL,
    document       TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    opened_at      TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    closed_at      TEXT
);
-- The calendar and the queues: by kind and ball holder, soonest first.
CREATE INDEX cases_queue ON cases (kind, ball, sort_at, id);
CREATE INDEX cases_app ON cases (app_id, kind, id);
CREATE UNIQUE INDEX cases_open ON cases (kind, app_id, program, unique_key)
    WHERE closed_at IS NULL AND unique_key IS NOT NULL;
