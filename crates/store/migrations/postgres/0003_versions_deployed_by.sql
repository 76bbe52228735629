-- Rows that refer to a user are found by index: locking a user row must stay cheap however
-- many versions exist.
CREATE INDEX versions_deployed_by ON versions (deployed_by);
