-- 等保 controls of the security administrator's area: the optional second factor (TOTP) with its one-time recovery
-- codes, the login challenges between the password and the code, and the audit log's retention cuts.

-- The TOTP secret (base32) is read only to check a code and never shown again after enrolment; the last step a code
-- was accepted for makes a code good once.
ALTER TABLE accounts ADD COLUMN totp_secret TEXT;
ALTER TABLE accounts ADD COLUMN totp_enrolled_at BIGINT;
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT;

-- Ten per enrolment, stored as SHA-256 of the code (the codes are 80 random bits), each usable once.
CREATE TABLE recovery_codes (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    code_hash   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

-- A login whose password was right and whose second factor is still due ('code') or not yet set up ('enrol'). Not a
-- session: nothing but the second-factor pages accepts it. Keyed, like sessions, by SHA-256 of the cookie's token.
CREATE TABLE login_challenges (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    csrf_token   TEXT NOT NULL,
    stage        TEXT NOT NULL,
    -- The secret offered at enrolment until a code confirms it.
    enrol_secret TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX login_challenges_account ON login_challenges (account_id);

-- Each retention cut of the audit log: entries 1..through_seq were deleted, the last of them had through_hash, so the
-- first entry kept must link to it. The cut is also written into the chain itself (action audit.prune).
CREATE TABLE audit_cuts (
    id            TEXT PRIMARY KEY,
    at            BIGINT NOT NULL,
    account_id    TEXT,
    through_seq   BIGINT NOT NULL UNIQUE,
    through_hash  TEXT NOT NULL,
    deleted       BIGINT NOT NULL,
    cutoff        BIGINT NOT NULL
);
