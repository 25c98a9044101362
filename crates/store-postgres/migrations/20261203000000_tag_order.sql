-- A tag list is read newest first. Each tag row carries its integration's
-- creation instant (which never changes) in its key, so the rows of one
-- tag come out of the key already in the list's order and the list needs
-- no sort of whole rows.
ALTER TABLE custom_integration_tags ADD COLUMN created_at TIMESTAMPTZ;

UPDATE custom_integration_tags t SET created_at = i.created_at
FROM custom_integrations i WHERE i.seq = t.integration_seq;

ALTER TABLE custom_integration_tags ALTER COLUMN created_at SET NOT NULL;
ALTER TABLE custom_integration_tags DROP CONSTRAINT custom_integration_tags_pkey;
ALTER TABLE custom_integration_tags ADD PRIMARY KEY (organization_id, tag, created_at, integration_seq);
