-- A version's badge events are found by their reference (`version:ID`) on every deploy answer
-- and version read: by index, however many events exist.
CREATE INDEX badge_events_reference ON badge_events (reference);
