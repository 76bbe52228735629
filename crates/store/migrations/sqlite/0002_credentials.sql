-- Credentials that can be ended: a session remembers the token it was opened with and a token
-- the token (directly or through a session) that issued it, so that revoking a token ends
-- everything that descends from it. Tokens may expire; users may be disabled.
-- Keep in step with ../postgres/0002_credentials.sql.

ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN parent_token_id INTEGER REFERENCES api_tokens (id);
ALTER TABLE sessions ADD COLUMN token_id INTEGER REFERENCES api_tokens (id);
ALTER TABLE sessions ADD COLUMN ended_at TEXT;
ALTER TABLE users ADD COLUMN disabled_at TEXT;

CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
CREATE INDEX api_tokens_parent ON api_tokens (parent_token_id);
CREATE INDEX sessions_user ON sessions (user_id, id);
CREATE INDEX sessions_token ON sessions (token_id);
CREATE INDEX environments_app ON environments (app_id, id);
