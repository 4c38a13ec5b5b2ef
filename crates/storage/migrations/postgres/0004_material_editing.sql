-- The structured editor's needs: autosaved versions (collapsed, so a long editing
-- session does not keep hundreds of copies), the leading cadres' 有关事项报告 as a
-- form kept apart from the material text, and reference templates per organization.
-- Kept identical to the other backend's file except for the integer type names.

ALTER TABLE material_versions ADD COLUMN autosaved BIGINT NOT NULL DEFAULT 0;
-- The editor page (one per tab) an autosave came from: its own later save is no conflict.
ALTER TABLE material_versions ADD COLUMN editor TEXT;

CREATE TABLE matters_reports (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    -- The form's answers as JSON (see mingjing_web::matters).
    answers     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (campaign_id, member_id)
);

CREATE INDEX reference_documents_org ON reference_documents (org_id, kind);
