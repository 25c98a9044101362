-- Approvals: an admin's word that a revision's config may receive secret
-- values. Set when an admin writes the revision (`written`) or approves it
-- later (`approved`); a non-admin's revision that kept an approved config
-- carries the same approval (`approved_revision` names the revision the
-- admin vouched for). Revisions from before approvals have none: an admin
-- approves each once before its tests receive secrets again.
ALTER TABLE integration_revisions ADD COLUMN approval_kind TEXT
    CHECK (approval_kind IN ('written', 'approved'));
ALTER TABLE integration_revisions ADD COLUMN approved_revision BIGINT;
ALTER TABLE integration_revisions ADD COLUMN approved_by TEXT;
ALTER TABLE integration_revisions ADD COLUMN approved_at TIMESTAMPTZ;
