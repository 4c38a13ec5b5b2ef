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
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL REFERENCES accounts (id),
    -- Set once, together, by the lock.
    locked_at   INTEGER,
    locked_by   TEXT REFERENCES accounts (id),
    content_hash TEXT,
    UNIQUE (campaign_id, org_id)
);

CREATE TABLE meeting_agenda (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id),
    position    INTEGER NOT NULL,
    item        TEXT NOT NULL,
    PRIMARY KEY (meeting_id, position)
);

CREATE TABLE meeting_attendance (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id),
    member_id   TEXT NOT NULL REFERENCES members (id),
    present     INTEGER NOT NULL,
    absence_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (meeting_id, member_id),
    CHECK (present = 1 OR absence_reason <> '')
);

CREATE TABLE meeting_criticisms (
    meeting_id  TEXT NOT NULL REFERENCES meetings (id),
    -- The order the secretary entered them in (the hash sorts them by content instead).
    position    INTEGER NOT NULL,
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
    seq         INTEGER NOT NULL,
    author_id   TEXT NOT NULL REFERENCES accounts (id),
    author_name TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    body        TEXT NOT NULL,
    chain_hash  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, seq)
);

CREATE TRIGGER meetings_locked_no_update BEFORE UPDATE ON meetings WHEN OLD.locked_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;
CREATE TRIGGER meetings_locked_no_delete BEFORE DELETE ON meetings WHEN OLD.locked_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;

CREATE TRIGGER meeting_agenda_locked_insert BEFORE INSERT ON meeting_agenda
WHEN (SELECT locked_at FROM meetings WHERE id = NEW.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;
CREATE TRIGGER meeting_agenda_locked_update BEFORE UPDATE ON meeting_agenda
WHEN (SELECT locked_at FROM meetings WHERE id = OLD.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;
CREATE TRIGGER meeting_agenda_locked_delete BEFORE DELETE ON meeting_agenda
WHEN (SELECT locked_at FROM meetings WHERE id = OLD.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;

CREATE TRIGGER meeting_attendance_locked_insert BEFORE INSERT ON meeting_attendance
WHEN (SELECT locked_at FROM meetings WHERE id = NEW.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;
CREATE TRIGGER meeting_attendance_locked_update BEFORE UPDATE ON meeting_attendance
WHEN (SELECT locked_at FROM meetings WHERE id = OLD.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;
CREATE TRIGGER meeting_attendance_locked_delete BEFORE DELETE ON meeting_attendance
WHEN (SELECT locked_at FROM meetings WHERE id = OLD.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;

CREATE TRIGGER meeting_criticisms_locked_insert BEFORE INSERT ON meeting_criticisms
WHEN (SELECT locked_at FROM meetings WHERE id = NEW.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;
CREATE TRIGGER meeting_criticisms_locked_update BEFORE UPDATE ON meeting_criticisms
WHEN (SELECT locked_at FROM meetings WHERE id = OLD.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;
CREATE TRIGGER meeting_criticisms_locked_delete BEFORE DELETE ON meeting_criticisms
WHEN (SELECT locked_at FROM meetings WHERE id = OLD.meeting_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'meeting record is locked'); END;

CREATE TRIGGER meeting_notes_no_update BEFORE UPDATE ON meeting_notes
BEGIN SELECT RAISE(ABORT, 'meeting notes are append-only'); END;
CREATE TRIGGER meeting_notes_no_delete BEFORE DELETE ON meeting_notes
BEGIN SELECT RAISE(ABORT, 'meeting notes are append-only'); END;
