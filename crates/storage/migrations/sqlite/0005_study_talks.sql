-- Before the meeting: study sessions (学习研讨) with attendance, heart-to-heart talks
-- (谈心谈话), each campaign's rules for which pairs must talk, and who sits on a branch
-- committee. Kept identical to the other backend's file except for the integer type names.

-- 'secretary' (党支部书记) or 'committee' (支部委员); NULL for everyone else.
ALTER TABLE members ADD COLUMN committee_post TEXT;

CREATE TABLE study_sessions (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    held_on     TEXT NOT NULL,
    place       TEXT NOT NULL,
    -- Titles of the campaign's readings covered, one per line (a title is one line).
    readings    TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    -- The token of the form that recorded it: the same form sent twice records once.
    submission  TEXT NOT NULL UNIQUE,
    version     INTEGER NOT NULL,
    created_by  TEXT NOT NULL REFERENCES accounts (id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX study_sessions_branch ON study_sessions (campaign_id, org_id);

CREATE TABLE study_attendance (
    session_id  TEXT NOT NULL REFERENCES study_sessions (id) ON DELETE CASCADE,
    member_id   TEXT NOT NULL REFERENCES members (id),
    present     INTEGER NOT NULL,
    -- Required when absent.
    absence_reason TEXT,
    PRIMARY KEY (session_id, member_id)
);

CREATE TABLE talks (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- The pair, the smaller id first (compared in the application, not by a collation),
    -- so a pair has one spelling.
    first_member_id  TEXT NOT NULL REFERENCES members (id),
    second_member_id TEXT NOT NULL REFERENCES members (id),
    held_on     TEXT NOT NULL,
    -- Points raised: shown only to the two and to the branch secretary and superiors.
    points      TEXT NOT NULL,
    submission  TEXT NOT NULL UNIQUE,
    version     INTEGER NOT NULL,
    created_by  TEXT NOT NULL REFERENCES accounts (id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX talks_branch ON talks (campaign_id, org_id);

-- Which pairs a campaign requires besides the secretary with everyone (always required).
CREATE TABLE campaign_talk_settings (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id),
    committee_pairs        INTEGER NOT NULL,
    committee_with_members INTEGER NOT NULL,
    member_pairs           INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
