-- Democratic appraisal (民主评议党员): each campaign's settings, self-evaluations, mutual
-- evaluations, secret-ballot rounds, the committee's decisions and the follow-up of a
-- 不合格 grade. Kept identical to ../sqlite/0008_appraisal.sql except for the integer
-- type names and WITHOUT ROWID.
--
-- Secrecy of the ballot rests on the split between ballot_voters / ballot_codes (who may
-- vote, and whether they did) and ballot_choices (what was chosen): the choices carry no
-- ballot id, voter id, code or time, and are written only when the round closes, in one
-- transaction, in an order drawn at random. See docs/anonymity.md.

CREATE TABLE campaign_appraisal_settings (
    campaign_id     TEXT PRIMARY KEY REFERENCES campaigns (id),
    -- 'all' (正式党员 and 预备党员 present vote) or 'full' (正式党员 only)
    voters          TEXT NOT NULL,
    -- 'full' (正式党员 are graded) or 'all'
    graded          TEXT NOT NULL,
    -- Quorum as a fraction of the eligible voters on the roster; 0/1 = none. strict = more than.
    quorum_num      BIGINT NOT NULL,
    quorum_den      BIGINT NOT NULL,
    quorum_strict   BIGINT NOT NULL,
    -- The cap on 优秀 as a fraction of those graded; 0/1 = no cap.
    excellent_num   BIGINT NOT NULL,
    excellent_den   BIGINT NOT NULL,
    version         BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE self_evaluations (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    body        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, member_id)
);

CREATE TABLE mutual_evaluations (
    id              TEXT PRIMARY KEY,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    from_member_id  TEXT NOT NULL REFERENCES members (id),
    to_member_id    TEXT NOT NULL REFERENCES members (id),
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX mutual_evaluations_org ON mutual_evaluations (campaign_id, org_id);

CREATE TABLE ballot_rounds (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- 'online' (phones and codes) or 'paper' (the secretary enters the counted totals)
    method      TEXT NOT NULL,
    -- 'open', 'closed' or 'void'
    status      TEXT NOT NULL,
    -- Random per round; a code's hash is SHA-256(salt || code).
    code_salt   TEXT NOT NULL,
    -- The server process whose memory holds the round's ballots until it closes.
    holder      TEXT NOT NULL,
    -- Members on the roster who could have voted, for the quorum.
    eligible    BIGINT NOT NULL,
    -- Ballots counted at close.
    ballots     BIGINT NOT NULL DEFAULT 0,
    opened_by   TEXT NOT NULL REFERENCES accounts (id),
    opened_at   BIGINT NOT NULL,
    closed_at   BIGINT
);
CREATE UNIQUE INDEX ballot_rounds_one_open ON ballot_rounds (campaign_id, org_id) WHERE status = 'open';

-- Who is graded in a round, in the order the ballot lists them.
CREATE TABLE ballot_graded (
    round_id    TEXT NOT NULL REFERENCES ballot_rounds (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    position    BIGINT NOT NULL,
    PRIMARY KEY (round_id, member_id)
);

-- Participation: the members present, how each votes ('phone' or 'code': a slip drawn from
-- the box), and whether a phone voter has voted. Never what they chose.
CREATE TABLE ballot_voters (
    round_id    TEXT NOT NULL REFERENCES ballot_rounds (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    channel     TEXT NOT NULL,
    voted       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, member_id)
);

-- Single-use codes: only the salted hash and whether it was used.
CREATE TABLE ballot_codes (
    round_id    TEXT NOT NULL REFERENCES ballot_rounds (id),
    code_hash   TEXT NOT NULL,
    used        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, code_hash)
);

-- One row per (graded member, grade) chosen on one ballot, with no ballot id, voter, code
-- or time. The key is random (UUIDv4) and rows are inserted in key order, so the heap's
-- order is a random permutation; there is no rowid.
CREATE TABLE ballot_choices (
    round_id    TEXT NOT NULL REFERENCES ballot_rounds (id),
    shuffle_key TEXT NOT NULL,
    member_id   TEXT NOT NULL REFERENCES members (id),
    -- 'excellent', 'competent', 'basically_competent', 'incompetent'
    grade       TEXT NOT NULL,
    PRIMARY KEY (round_id, shuffle_key)
);

-- A paper round's counted totals, entered by the secretary.
CREATE TABLE ballot_tallies (
    round_id    TEXT NOT NULL REFERENCES ballot_rounds (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    grade       TEXT NOT NULL,
    votes       BIGINT NOT NULL,
    PRIMARY KEY (round_id, member_id, grade)
);

-- 组织评定: the branch committee's grade for a member, from the ballot and daily conduct.
CREATE TABLE grade_decisions (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    grade       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    decided_by  TEXT NOT NULL REFERENCES accounts (id),
    decided_at  BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, member_id)
);

-- What follows a 不合格: 限期改正 (deadline at most a year on), or 劝退 / 除名, which the
-- branch assembly decides and the party committee above approves.
CREATE TABLE appraisal_followups (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    -- 'correction', 'persuade' (劝退) or 'expel' (除名)
    kind        TEXT NOT NULL,
    -- 限期改正's deadline, YYYY-MM-DD
    deadline    TEXT,
    note        TEXT NOT NULL,
    -- 'open' (correction under way), 'awaiting_superior', 'approved', 'rejected'
    status      TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    decided_by  TEXT REFERENCES accounts (id),
    decided_at  BIGINT,
    UNIQUE (campaign_id, member_id)
);
