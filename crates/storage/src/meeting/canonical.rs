//! The content hash of a locked meeting record: SHA-256 over one canonical serialisation,
//! so that anyone holding the record can recompute it and see that nothing changed.
//!
//! # The serialisation (`mingjing.meeting.v1`)
//!
//! The text `mingjing.meeting.v1\n`, then one line per field, in this order and no other:
//!
//! ```text
//! campaign, org, date, time, place,
//! agenda (the count), then agenda.item for each item in the agenda's own order,
//! observer_name, observer_post, rectification_report, minutes,
//! attendance (the count), then for each entry sorted by member id:
//!     attendance.member, attendance.presence ("present" or "absent"), attendance.reason,
//! criticism (the count), then for each entry sorted by (from id, to id, text):
//!     criticism.from, criticism.to, criticism.text
//! ```
//!
//! Each line is `NAME LEN:VALUE\n`, where LEN is the value's length in UTF-8 bytes in
//! decimal: values may hold any character, new lines included, and still no two records
//! serialise alike. People are named by their member ids (never reused), not by names,
//! which the roster may correct later without touching the record. The agenda's order is
//! content; the order in which attendance and criticism were typed in is not.
//!
//! Notes appended after the lock are outside this hash, so the record's hash never moves;
//! each note instead carries a hash chained to the one before it (the first to the
//! record's hash), so a note removed, changed or slipped in shows as a broken chain.

use sha2::{Digest, Sha256};

use super::{MeetingContent, MeetingNote, Presence};

const RECORD_FORMAT: &str = "mingjing.meeting.v1";
const NOTE_FORMAT: &str = "mingjing.meeting-note.v1";

/// The hex SHA-256 of a record's canonical serialisation.
pub fn content_hash(campaign_id: &str, org_id: &str, content: &MeetingContent) -> String {
    hex(&Sha256::digest(canonical(campaign_id, org_id, content)))
}

/// The canonical serialisation itself (see the module documentation).
pub fn canonical(campaign_id: &str, org_id: &str, content: &MeetingContent) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(RECORD_FORMAT.as_bytes());
    out.push(b'\n');
    field(&mut out, "campaign", campaign_id);
    field(&mut out, "org", org_id);
    field(&mut out, "date", &content.date);
    field(&mut out, "time", &content.time);
    field(&mut out, "place", &content.place);
    field(&mut out, "agenda", &content.agenda.len().to_string());
    for item in &content.agenda {
        field(&mut out, "agenda.item", item);
    }
    field(&mut out, "observer_name", &content.observer_name);
    field(&mut out, "observer_post", &content.observer_post);
    field(&mut out, "rectification_report", &content.rectification_report);
    field(&mut out, "minutes", &content.minutes);
    let mut attendance: Vec<_> = content.attendance.iter().collect();
    attendance.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    field(&mut out, "attendance", &attendance.len().to_string());
    for entry in attendance {
        field(&mut out, "attendance.member", &entry.member_id);
        let (presence, reason) = match &entry.presence {
            Presence::Present => ("present", ""),
            Presence::Absent { reason } => ("absent", reason.as_str()),
        };
        field(&mut out, "attendance.presence", presence);
        field(&mut out, "attendance.reason", reason);
    }
    let mut criticisms: Vec<_> = content.criticisms.iter().collect();
    criticisms.sort_by(|a, b| {
        (&a.from_member_id, &a.to_member_id, &a.text).cmp(&(&b.from_member_id, &b.to_member_id, &b.text))
    });
    field(&mut out, "criticism", &criticisms.len().to_string());
    for entry in criticisms {
        field(&mut out, "criticism.from", &entry.from_member_id);
        field(&mut out, "criticism.to", &entry.to_member_id);
        field(&mut out, "criticism.text", &entry.text);
    }
    out
}

/// The chained hash of a note: SHA-256 over `mingjing.meeting-note.v1\n` and the fields
/// `previous` (the record's hash for the first note, else the note before's chain hash),
/// `seq`, `author`, `author_name`, `created_at`, `text`, each as `NAME LEN:VALUE\n`.
pub fn note_hash(previous: &str, note: &MeetingNote) -> String {
    let mut out = Vec::with_capacity(256 + note.text.len());
    out.extend_from_slice(NOTE_FORMAT.as_bytes());
    out.push(b'\n');
    field(&mut out, "previous", previous);
    field(&mut out, "seq", &note.seq.to_string());
    field(&mut out, "author", &note.author_id);
    field(&mut out, "author_name", &note.author_name);
    field(&mut out, "created_at", &note.created_at.to_string());
    field(&mut out, "text", &note.text);
    hex(&Sha256::digest(out))
}

/// Whether every note's chain hash follows from the record's hash and the notes before it.
pub fn notes_chain_holds(record_hash: &str, notes: &[MeetingNote]) -> bool {
    let mut previous = record_hash.to_owned();
    for note in notes {
        if note_hash(&previous, note) != note.chain_hash {
            return false;
        }
        previous.clone_from(&note.chain_hash);
    }
    true
}

fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(value.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Criticism, MeetingAttendance};

    /// A change to a record.
    type Change = Box<dyn Fn(&mut MeetingContent)>;

    fn record() -> MeetingContent {
        MeetingContent {
            date: "2026-01-15".into(),
            time: "09:00".into(),
            place: "三楼会议室".into(),
            agenda: vec!["通报上年度整改情况".into(), "书记代表支委班子对照检查".into()],
            observer_name: "赵组织".into(),
            observer_post: "县直机关工委委员".into(),
            rectification_report: "上年度整改事项五项，均已完成。".into(),
            minutes: "会议由陈书记主持。".into(),
            attendance: vec![
                MeetingAttendance { member_id: "m2".into(), presence: Presence::Absent { reason: "出差".into() } },
                MeetingAttendance { member_id: "m1".into(), presence: Presence::Present },
            ],
            criticisms: vec![
                Criticism {
                    from_member_id: "m1".into(), to_member_id: "m3".into(), text: "学习不够主动。".into()
                },
                Criticism {
                    from_member_id: "m1".into(), to_member_id: "m2".into(), text: "服务群众不够耐心。".into()
                },
            ],
        }
    }

    #[test]
    fn the_same_record_gives_the_same_hash_whatever_order_rows_were_typed_in() {
        let a = record();
        let mut b = record();
        b.attendance.reverse();
        b.criticisms.reverse();
        let hash = content_hash("c", "o", &a);
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(hash, content_hash("c", "o", &b));
        assert_eq!(hash, content_hash("c", "o", &a.clone()), "a pure function");
    }

    #[test]
    fn any_change_changes_the_hash() {
        let base = content_hash("c", "o", &record());
        let changes: Vec<(&str, Change)> = vec![
            ("date", Box::new(|r| r.date = "2026-01-16".into())),
            ("time", Box::new(|r| r.time = "09:30".into())),
            ("place", Box::new(|r| r.place.push('。'))),
            ("agenda order", Box::new(|r| r.agenda.reverse())),
            ("agenda item", Box::new(|r| r.agenda.push("其他".into()))),
            ("observer", Box::new(|r| r.observer_name = "钱组织".into())),
            ("observer post", Box::new(|r| r.observer_post.clear())),
            ("rectification", Box::new(|r| r.rectification_report.push('1'))),
            ("minutes", Box::new(|r| r.minutes.push(' '))),
            ("presence", Box::new(|r| r.attendance[1].presence = Presence::Absent { reason: "病假".into() })),
            ("reason", Box::new(|r| r.attendance[0].presence = Presence::Absent { reason: "公差".into() })),
            (
                "attendance row",
                Box::new(|r| {
                    r.attendance.pop();
                }),
            ),
            ("criticism text", Box::new(|r| r.criticisms[0].text.push('！'))),
            ("criticism addressee", Box::new(|r| r.criticisms[0].to_member_id = "m4".into())),
            ("criticism removed", Box::new(|r| r.criticisms.truncate(1))),
        ];
        for (what, change) in changes {
            let mut changed = record();
            change(&mut changed);
            assert_ne!(content_hash("c", "o", &changed), base, "{what}");
        }
        assert_ne!(content_hash("c", "other", &record()), base, "another branch's record");
        assert_ne!(content_hash("other", "o", &record()), base, "another campaign's record");
    }

    #[test]
    fn values_cannot_run_into_the_next_field() {
        let mut a = record();
        a.place = "甲".into();
        a.observer_name = "乙丙".into();
        let mut b = record();
        b.place = "甲\nobserver_name 3:乙".into();
        b.observer_name = "丙".into();
        assert_ne!(canonical("c", "o", &a), canonical("c", "o", &b));
        let text = String::from_utf8(canonical("c", "o", &a)).unwrap();
        assert!(text.starts_with("mingjing.meeting.v1\ncampaign 1:c\norg 1:o\ndate 10:2026-01-15\n"), "{text}");
    }

    #[test]
    fn notes_are_chained_to_the_record_and_to_each_other() {
        let record_hash = content_hash("c", "o", &record());
        let mut notes = Vec::new();
        let mut previous = record_hash.clone();
        for (seq, text) in [(1, "第三项议程的时间应为 10:30。"), (2, "补充：李某请假理由为公出。")]
        {
            let mut note = MeetingNote {
                seq,
                author_id: "a".into(),
                author_name: "赵组织".into(),
                created_at: 1000 * seq,
                text: text.into(),
                chain_hash: String::new(),
            };
            note.chain_hash = note_hash(&previous, &note);
            previous.clone_from(&note.chain_hash);
            notes.push(note);
        }
        assert!(notes_chain_holds(&record_hash, &notes));
        assert!(!notes_chain_holds(&"0".repeat(64), &notes), "chained to the record");
        let mut edited = notes.clone();
        edited[0].text.push('！');
        assert!(!notes_chain_holds(&record_hash, &edited), "an edited note breaks the chain");
        assert!(!notes_chain_holds(&record_hash, &notes[1..]), "a removed note breaks the chain");
    }
}
