-- Durable timers: work that must happen at a time (a soak period ends, a review window opens, a
-- delivery is retried), kept in the database so that a restart loses none and several
-- instances fire each exactly once. A timer is claimed under a lease; its work and the mark
-- that it fired commit in one transaction.
CREATE TABLE timers (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    lease_owner     TEXT,
    lease_until     TEXT,
    fired_at        TEXT,
    created_at      TEXT NOT NULL
);
-- The runner's question, "what is due?", reads only timers that have not fired.
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;
