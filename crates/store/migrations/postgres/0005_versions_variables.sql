-- The deploy-time variable values a version was deployed with (a JSON object of names to
-- values; NULL for none): its manifest is evaluated with them again when it is compared with the
-- next version or re-evaluated by a newer rules engine.
ALTER TABLE versions ADD COLUMN variables TEXT;
