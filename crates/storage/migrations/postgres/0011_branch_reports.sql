-- The branch's report to the superior on the meeting and the appraisal (组织生活会和民主评议
-- 党员情况报告): one per branch and campaign, a draft the secretary edits, and every
-- submission kept as a version with the superior's answer (已确认 / 退回 with a reason).
-- Kept identical to ../sqlite/0011_branch_reports.sql except for the integer type names.

CREATE TABLE branch_reports (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- 'draft', 'submitted', 'returned' or 'acknowledged'.
    status      TEXT NOT NULL,
    -- The text as the secretary last saved or submitted it.
    body        TEXT NOT NULL,
    -- 1 when first saved, one more with every save, submission and answer.
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL REFERENCES accounts (id),
    UNIQUE (campaign_id, org_id)
);

-- Each submission, never changed afterwards except for the superior's one answer.
CREATE TABLE branch_report_submissions (
    report_id   TEXT NOT NULL REFERENCES branch_reports (id),
    -- 1, 2, 3… in the order submitted.
    seq         BIGINT NOT NULL,
    -- The submitting form's own token: the same form sent twice submits once.
    submission  TEXT NOT NULL UNIQUE,
    body        TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    submitted_by TEXT NOT NULL REFERENCES accounts (id),
    -- NULL until answered; then 'acknowledged' or 'returned'.
    decision    TEXT,
    reason      TEXT NOT NULL DEFAULT '',
    decided_at  BIGINT,
    decided_by  TEXT REFERENCES accounts (id),
    PRIMARY KEY (report_id, seq),
    CHECK (decision IS NULL OR decision IN ('acknowledged', 'returned')),
    CHECK (decision IS NULL OR decision <> 'returned' OR reason <> '')
);
