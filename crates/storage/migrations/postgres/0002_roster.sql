-- The roster (党员花名册) in full: personal data of members for import and export, and
-- roster imports kept between the preview and the confirmation.
-- Kept identical to ../sqlite/0002_roster.sql except for the integer type names.

-- 公民身份号码 (18 characters), personal data: shown masked, exported only with an audit entry.
ALTER TABLE members ADD COLUMN id_number TEXT;
ALTER TABLE members ADD COLUMN gender TEXT;
ALTER TABLE members ADD COLUMN birth_date TEXT;
ALTER TABLE members ADD COLUMN ethnicity TEXT;
ALTER TABLE members ADD COLUMN education TEXT;
-- One person is on the roster once; rows without a number are not compared.
CREATE UNIQUE INDEX members_id_number ON members (id_number);

CREATE TABLE roster_imports (
    id          TEXT PRIMARY KEY,
    -- Only the account that uploaded the file may confirm it.
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    -- The organization imported into.
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    file_name   TEXT NOT NULL,
    -- The parsed rows with their problems, as JSON: confirming needs no second upload.
    payload     TEXT NOT NULL,
    row_count   BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    -- 'pending', then 'confirmed' once, by a guarded update (a double submit finds it confirmed).
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    confirmed_at BIGINT
);
CREATE INDEX roster_imports_account ON roster_imports (account_id, created_at);
