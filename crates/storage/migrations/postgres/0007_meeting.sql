-- The 组织生活会 record of one branch in one campaign: schedule, agenda, attendance, the
-- superior's observer, the report on last year's rectification, minutes and criticism
-- entries; locked once after the meeting, with a content hash, and corrected only by
-- appended notes. Triggers refuse any change to a locked record and any change to a
-- note, whatever program writes to the database.
-- Kept identical to ../postgres/0007_meeting.sql except for the integer type names and
-- the triggers' dialect.

CREATE TABLE meetings (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    -- 'YYYY-MM-DD' and 'HH:MM' (Beijing time) as the secretary entered them; '' until set.
    meeting_date TEXT NOT NULL DEFAULT '',
    meeting_time TEXT NOT NULL DEFAULT '',
    place       TEXT NOT NULL DEFAULT '',
    -- 列席指导: free text, since the observer may have no account.
    observer_name TEXT NOT NULL DEFAULT '',
    observer_post TEXT NOT NULL DEFAULT '',
    -- The report on last year's rectification, as text the secretary edits. When the
    -- rectification ledger exists, the page pre-fills this text from it; the record keeps
    -- the text as reported, so later ledger changes never alter a locked record.
    rectification_report TEXT NOT NULL DEFAULT '',
    minutes     TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL REFERENCES accounts (id),
    -- Set once, together, by the lock.
    locked_at   BIGINT,
    locked_by   TEXT REFERENCES accounts (id),
    content_hash TEXT,
    UNIQUE (campaign_id, org_id)
);

CREATE TABLE meeting_agenda (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id),
    position    BIGINT NOT NULL,
    item        TEXT NOT NULL,
    PRIMARY KEY (meeting_id, position)
);

CREATE TABLE meeting_attendance (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    present     BIGINT NOT NULL,
    absence_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (meeting_id, member_id),
    CHECK (present = 1 OR absence_reason <> '')
);

CREATE TABLE meeting_criticisms (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id),
    -- The order the secretary entered them in (the hash sorts them by content instead).
    position    BIGINT NOT NULL,
    from_member_id TEXT NOT NULL REFERENCES members (id),
    to_member_id TEXT NOT NULL REFERENCES members (id),
    body        TEXT NOT NULL,
    PRIMARY KEY (meeting_id, position),
    CHECK (from_member_id <> to_member_id)
);
CREATE INDEX meeting_criticisms_to ON meeting_criticisms (to_member_id);

-- Corrections after the lock: append-only, each chained to the one before (the first to
-- the record's content hash).
CREATE TABLE meeting_notes (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id),
    seq         BIGINT NOT NULL,
    author_id   TEXT NOT NULL REFERENCES accounts (id),
    author_name TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    body        TEXT NOT NULL,
    chain_hash  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, seq)
);

-- One function for the record and its parts: a row of a locked record cannot be added,
-- changed or removed.
CREATE FUNCTION meeting_refuse_if_locked() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    record_id TEXT;
BEGIN
    IF TG_TABLE_NAME = 'meetings' THEN
        record_id := OLD.id;
    ELSIF TG_OP = 'INSERT' THEN
        record_id := NEW.meeting_id;
    ELSE
        record_id := OLD.meeting_id;
    END IF;
    IF EXISTS (SELECT 1 FROM meetings WHERE id = record_id AND locked_at IS NOT NULL) THEN
        RAISE EXCEPTION 'meeting record is locked';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION meeting_notes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'meeting notes are append-only';
END
$$;

CREATE TRIGGER meetings_locked BEFORE UPDATE OR DELETE ON meetings
    FOR EACH ROW EXECUTE FUNCTION meeting_refuse_if_locked();
CREATE TRIGGER meeting_agenda_locked BEFORE INSERT OR UPDATE OR DELETE ON meeting_agenda
    FOR EACH ROW EXECUTE FUNCTION meeting_refuse_if_locked();
CREATE TRIGGER meeting_attendance_locked BEFORE INSERT OR UPDATE OR DELETE ON meeting_attendance
    FOR EACH ROW EXECUTE FUNCTION meeting_refuse_if_locked();
CREATE TRIGGER meeting_criticisms_locked BEFORE INSERT OR UPDATE OR DELETE ON meeting_criticisms
    FOR EACH ROW EXECUTE FUNCTION meeting_refuse_if_locked();
CREATE TRIGGER meeting_notes_append_only BEFORE UPDATE OR DELETE ON meeting_notes
    FOR EACH ROW EXECUTE FUNCTION meeting_notes_append_only();
