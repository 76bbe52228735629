-- Go-to-market list editions: one per program and month, holding the apps that carried the
-- program's badge when it was published. An edition is never changed once written: there is no
-- UPDATE of this table anywhere.
-- Keep in step with ../postgres/0013_editions.sql.

CREATE TABLE editions (
    id            INTEGER PRIMARY KEY,
    program       TEXT NOT NULL,
    month         TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    published_by  TEXT NOT NULL,
    entries       TEXT NOT NULL,
    UNIQUE (program, month)
);
