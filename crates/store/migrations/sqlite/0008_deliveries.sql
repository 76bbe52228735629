-- Deliveries of the outbox's notifications: webhooks that owners register, e-mail to the people
-- of the app's partner, and the log of every attempt.
--
-- A notification is dispatched once (in one transaction: its deliveries are created and it is
-- marked dispatched), and each delivery is then attempted under a lease until it succeeds or
-- its retries run out. A crash between any two steps delays a delivery and never loses it.

ALTER TABLE notifications ADD COLUMN dispatched_at TEXT;
-- What happened before deliveries existed is history, not news: nobody is e-mailed about it.
UPDATE notifications SET dispatched_at = created_at;
CREATE INDEX notifications_undispatched ON notifications (id) WHERE dispatched_at IS NULL;

-- An endpoint that receives events. A partner's webhook receives its own apps' events; a staff
-- member's (partner_id NULL) receives every app's. The signing secret is kept as is: the
-- server signs with it, so it cannot be hashed; the API shows it only when it is made.
CREATE TABLE webhooks (
    id                     INTEGER PRIMARY KEY,
    user_id                INTEGER NOT NULL REFERENCES users (id),
    partner_id             INTEGER REFERENCES partners (id),
    url                    TEXT NOT NULL,
    events                 TEXT NOT NULL,
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  TEXT,
    created_at             TEXT NOT NULL,
    deleted_at             TEXT
);
CREATE INDEX webhooks_partner ON webhooks (partner_id) WHERE deleted_at IS NULL;
-- One address once per partner (and once among staff): otherwise one receiver would get one
-- event under two delivery ids and could not tell the copies apart.
CREATE UNIQUE INDEX webhooks_address ON webhooks (COALESCE(partner_id, 0), url)
    WHERE deleted_at IS NULL;

-- One notification to one endpoint or one person. `status` is pending until an attempt
-- succeeds (delivered) or the retries run out (failed); a redelivery makes it pending again.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    notification_id  INTEGER NOT NULL REFERENCES notifications (id),
    channel          TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
    webhook_id       INTEGER REFERENCES webhooks (id),
    user_id          INTEGER REFERENCES users (id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    first_attempt_at TEXT,
    lease_owner      TEXT,
    lease_until      TEXT,
    last_status      INTEGER,
    last_error       TEXT,
    delivered_at     TEXT,
    created_at       TEXT NOT NULL,
    CHECK ((channel = 'webhook') = (webhook_id IS NOT NULL)),
    CHECK ((channel = 'email') = (user_id IS NOT NULL))
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_failed ON deliveries (id) WHERE status = 'failed';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);
CREATE INDEX deliveries_notification ON deliveries (notification_id);

-- Every attempt: when, how long, the response code or the error.
CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES deliveries (id),
    attempted_at TEXT NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);

-- The events a person does not want e-mail about.
CREATE TABLE email_opt_outs (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    event    TEXT NOT NULL,
    PRIMARY KEY (user_id, event)
);
