-- 征求意见: one anonymous opinion channel per campaign and organization, the opinions
-- left through it, the summaries the secretary relays to each member, and each
-- campaign's threshold k below which a member does not see opinions about themselves.
--
-- An opinion row holds no author, address, browser, cookie or time finer than the day.
-- Its key is random (not a UUIDv7, which would sort by time) and, on SQLite, the table has no rowid,
-- so its order on disk is the random key's; every write rewrites the channel's rows of
-- that day under fresh random keys, so the order of rows reveals nothing (docs/anonymity.md).
-- Kept identical to ../sqlite/0006_opinions.sql except for the integer type names and
-- WITHOUT ROWID, which only SQLite has.

CREATE TABLE opinion_channels (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- The unguessable part of the public link (/o/TOKEN); shown to the secretary again.
    token       TEXT NOT NULL UNIQUE,
    is_open     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (campaign_id, org_id)
);

CREATE TABLE opinions (
    -- 128 random bits, renewed whenever the channel's rows of the day are rewritten.
    id          TEXT PRIMARY KEY,
    channel_id  TEXT NOT NULL REFERENCES opinion_channels (id),
    -- The member the opinion is addressed to; NULL: the branch committee.
    member_id   TEXT REFERENCES members (id),
    body        TEXT NOT NULL,
    -- The day it was given (Beijing time, YYYY-MM-DD), never the time of day.
    day         TEXT NOT NULL
);
CREATE INDEX opinions_channel ON opinions (channel_id, day);
CREATE INDEX opinions_member ON opinions (member_id);

CREATE TABLE opinion_summaries (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    body        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, member_id)
);

CREATE TABLE campaign_opinion_settings (
    campaign_id TEXT PRIMARY KEY REFERENCES campaigns (id),
    -- k: a member sees opinions about themselves once at least k exist; never below 3.
    threshold   BIGINT NOT NULL CHECK (threshold >= 3),
    updated_at  BIGINT NOT NULL
);
