-- Submissions to approval programs (Cloud Fortified). A submission is one aggregate: its state,
-- its checks and its history are kept together as a JSON document written by the domain model
-- (apptrust_programs::fortified), with the columns the staff queue and the app's page filter and
-- sort on beside it. `revision` grows with every write, so that two concurrent edits cannot both
-- land: the second is refused and retried on the new state.
-- Keep in step with ../postgres/0010_submissions.sql.

CREATE TABLE submissions (
    id               INTEGER PRIMARY KEY,
    app_id           INTEGER NOT NULL REFERENCES apps (id),
    program          TEXT NOT NULL,
    requirement_set  TEXT NOT NULL,
    state            TEXT NOT NULL,
    ball             TEXT NOT NULL,
    due_at           TEXT,
    document         TEXT NOT NULL,
    revision         INTEGER NOT NULL,
    opened_at        TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- The staff queue: by ball holder, oldest waiting first.
CREATE INDEX submissions_queue ON submissions (ball, updated_at, id);
CREATE INDEX submissions_app ON submissions (app_id, id);
-- One open submission per app and program.
CREATE UNIQUE INDEX submissions_open ON submissions (app_id, program)
    WHERE state NOT IN ('approved', 'rejected', 'withdrawn');
