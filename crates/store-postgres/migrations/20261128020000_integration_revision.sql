-- Counts an integration's changes (1 at creation): what a bundle or a
-- connection test records it was built from.
ALTER TABLE custom_integrations ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
