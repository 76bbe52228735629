-- The outbox: every change someone must hear about (a badge gained or lost, a version that needs
-- admins' consent, a refused deploy) is written here in the same transaction as the change, so
-- that no change goes unannounced and nothing is announced that did not happen. Deliveries
-- (webhooks, e-mail) are made from these rows.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    event       TEXT NOT NULL,
    app_id      INTEGER NOT NULL REFERENCES apps (id),
    subject     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notifications_app ON notifications (app_id, id);
