-- Campaigns become editable: a version that every edit must name (so two admins editing
-- at once never overwrite each other unseen), the time of the last edit, and an index
-- for listing the campaigns opened in a subtree.
-- Kept identical to ../postgres/0003_campaign_versions.sql except for the integer type names.

ALTER TABLE campaigns ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE campaigns ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE campaigns SET updated_at = created_at;
CREATE INDEX campaigns_org ON campaigns (org_id);
