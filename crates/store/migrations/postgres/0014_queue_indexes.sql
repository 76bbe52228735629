-- Queues and calendars without a ball holder's filter walk these in order instead of sorting:
-- submissions by their last move, cases by kind and date.
-- Keep in step with ../sqlite/0014_queue_indexes.sql.

CREATE INDEX submissions_by_move ON submissions (updated_at, id);
CREATE INDEX cases_by_date ON cases (kind, sort_at, id);
