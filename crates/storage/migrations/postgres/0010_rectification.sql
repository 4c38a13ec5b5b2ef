-- 整改清单 / 台账: the rectification items of a branch in a campaign, each with its origin
-- (a problem of an approved material, a criticism in the minutes, an opinion, or typed by
-- hand) and the quoted problem, the measure, the owner, the deadline and the status;
-- progress notes with evidence (attachments kept as bytes here, so a backup of the
-- database is a backup of the evidence); verification (销号) by someone other than the
-- owner; publication to the branch; and the items carried over into a later campaign.
-- Kept identical to ../sqlite/0010_rectification.sql except for the integer and byte
-- type names.

CREATE TABLE rectification_items (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- Whose problem it is: a member, or NULL for the branch (committee) as a whole.
    member_id   TEXT REFERENCES members (id),
    -- Who carries it out; for a member's own item, the member.
    owner_member_id TEXT NOT NULL REFERENCES members (id),
    -- 'material' (origin_ref: material id, version, section.index), 'criticism'
    -- (meeting id and position), 'opinion' (the opinion's key when taken; opinions are
    -- rekeyed, so the quoted problem is what stays), 'manual' ('').
    origin_kind TEXT NOT NULL CHECK (origin_kind IN ('material', 'criticism', 'opinion', 'manual')),
    origin_ref  TEXT NOT NULL DEFAULT '',
    problem     TEXT NOT NULL,
    measure     TEXT NOT NULL,
    -- 'YYYY-MM-DD', Beijing time; overdue (逾期) is derived from it and the clock.
    deadline    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done', 'verified')),
    done_at     BIGINT,
    done_by     TEXT REFERENCES accounts (id),
    verified_at BIGINT,
    verified_by TEXT REFERENCES accounts (id),
    verify_note TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL,
    -- The one-time token of the form that created it: a double submit finds it taken.
    form_token  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES accounts (id),
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL REFERENCES accounts (id),
    CHECK ((status = 'verified') = (verified_by IS NOT NULL)),
    CHECK (status NOT IN ('done', 'verified') OR done_by IS NOT NULL)
);
CREATE INDEX rectification_items_ledger ON rectification_items (campaign_id, org_id);
CREATE INDEX rectification_items_owner ON rectification_items (owner_member_id);
CREATE INDEX rectification_items_member ON rectification_items (member_id);

-- Progress notes (整改进展), append-only, each with its evidence.
CREATE TABLE rectification_notes (
    id          TEXT PRIMARY KEY,
    item_id     TEXT NOT NULL REFERENCES rectification_items (id),
    author_id   TEXT NOT NULL REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    body        TEXT NOT NULL,
    form_token  TEXT NOT NULL UNIQUE
);
CREATE INDEX rectification_notes_item ON rectification_notes (item_id, created_at);

CREATE TABLE rectification_attachments (
    id          TEXT PRIMARY KEY,
    note_id     TEXT NOT NULL REFERENCES rectification_notes (id),
    file_name   TEXT NOT NULL,
    -- One of the kinds accepted (pdf, jpg, png, docx, xlsx), found from the bytes.
    kind        TEXT NOT NULL,
    size        BIGINT NOT NULL CHECK (size > 0 AND size <= 5242880),
    bytes       BYTEA NOT NULL
);
CREATE INDEX rectification_attachments_note ON rectification_attachments (note_id);

-- A branch's ledger of a campaign published to the branch: every member then reads it.
CREATE TABLE rectification_publications (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (campaign_id, org_id)
);

-- Unfinished items of an earlier campaign carried into a later one (上年结转) when it was
-- opened: the same row, so its status and notes go on; the later ledger lists it.
CREATE TABLE rectification_carryovers (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    item_id     TEXT NOT NULL REFERENCES rectification_items (id),
    carried_at  BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, item_id)
);
CREATE INDEX rectification_carryovers_item ON rectification_carryovers (item_id);
