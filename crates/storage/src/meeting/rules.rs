//! What a meeting record must satisfy: always (every person on the branch's roster, a
//! reason for every absence, no criticism of oneself), and before it may be locked (a
//! date, a place, attendance for every member, minutes). Pure functions, so the web form
//! can show every problem at once and storage can enforce the same rules in the write.

use std::collections::HashSet;

use super::{MeetingContent, Presence};

/// Why a record cannot be saved as it is. Persons are named by member id; the web layer
/// puts names to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordProblem {
    /// Someone in the attendance or a criticism who is not on the branch's roster.
    NotInBranch {
        member_id: String,
    },
    /// The same member twice in the attendance.
    DuplicateAttendance {
        member_id: String,
    },
    AbsentWithoutReason {
        member_id: String,
    },
    /// A criticism from and to the same member: self-criticism belongs in the material.
    CriticismToSelf {
        member_id: String,
    },
    /// A criticism entry (numbered from 1, in the order given) with no text.
    EmptyCriticism {
        entry: usize,
    },
}

/// What a record still lacks before it may be locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockGap {
    NoDate,
    NoPlace,
    /// No attendance recorded at all.
    NoAttendance,
    /// Members on the roster whose attendance is not recorded.
    AttendanceMissing {
        member_ids: Vec<String>,
    },
    NoMinutes,
}

impl MeetingContent {
    /// Every problem that stops this content from being saved for a branch whose roster
    /// holds `roster` (member ids); empty when it may be saved.
    pub fn problems(&self, roster: &[&str]) -> Vec<RecordProblem> {
        let roster: HashSet<&str> = roster.iter().copied().collect();
        let mut problems = Vec::new();
        let outsider = |id: &str, problems: &mut Vec<RecordProblem>| {
            let problem = RecordProblem::NotInBranch { member_id: id.to_owned() };
            if !roster.contains(id) && !problems.contains(&problem) {
                problems.push(problem);
            }
        };
        let mut seen = HashSet::new();
        for entry in &self.attendance {
            outsider(&entry.member_id, &mut problems);
            if !seen.insert(entry.member_id.as_str()) {
                problems.push(RecordProblem::DuplicateAttendance { member_id: entry.member_id.clone() });
            }
            if matches!(&entry.presence, Presence::Absent { reason } if reason.trim().is_empty()) {
                problems.push(RecordProblem::AbsentWithoutReason { member_id: entry.member_id.clone() });
            }
        }
        for (i, entry) in self.criticisms.iter().enumerate() {
            outsider(&entry.from_member_id, &mut problems);
            outsider(&entry.to_member_id, &mut problems);
            if entry.from_member_id == entry.to_member_id {
                problems.push(RecordProblem::CriticismToSelf { member_id: entry.from_member_id.clone() });
            }
            if entry.text.trim().is_empty() {
                problems.push(RecordProblem::EmptyCriticism { entry: i + 1 });
            }
        }
        problems
    }

    /// What this content still lacks before it may be locked, for a branch whose roster
    /// holds `roster`; empty when it may be locked.
    pub fn lock_gaps(&self, roster: &[&str]) -> Vec<LockGap> {
        let mut gaps = Vec::new();
        if self.date.trim().is_empty() || self.time.trim().is_empty() {
            gaps.push(LockGap::NoDate);
        }
        if self.place.trim().is_empty() {
            gaps.push(LockGap::NoPlace);
        }
        let recorded: HashSet<&str> = self.attendance.iter().map(|a| a.member_id.as_str()).collect();
        if recorded.is_empty() {
            gaps.push(LockGap::NoAttendance);
        } else {
            let missing: Vec<String> =
                roster.iter().filter(|id| !recorded.contains(**id)).map(|id| (*id).to_owned()).collect();
            if !missing.is_empty() {
                gaps.push(LockGap::AttendanceMissing { member_ids: missing });
            }
        }
        if self.minutes.trim().is_empty() {
            gaps.push(LockGap::NoMinutes);
        }
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Criticism, MeetingAttendance};

    fn present(id: &str) -> MeetingAttendance {
        MeetingAttendance { member_id: id.into(), presence: Presence::Present }
    }

    #[test]
    fn a_sound_record_has_no_problems_and_no_gaps() {
        let content = MeetingContent {
            date: "2026-01-15".into(),
            time: "09:00".into(),
            place: "会议室".into(),
            minutes: "记录".into(),
            attendance: vec![
                present("a"),
                MeetingAttendance { member_id: "b".into(), presence: Presence::Absent { reason: "病假".into() } },
            ],
            criticisms: vec![Criticism { from_member_id: "a".into(), to_member_id: "b".into(), text: "意见".into() }],
            ..MeetingContent::default()
        };
        assert_eq!(content.problems(&["a", "b"]), vec![]);
        assert_eq!(content.lock_gaps(&["a", "b"]), vec![]);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let content = MeetingContent {
            attendance: vec![
                present("a"),
                present("a"),
                MeetingAttendance { member_id: "b".into(), presence: Presence::Absent { reason: "  ".into() } },
                present("x"),
            ],
            criticisms: vec![
                Criticism { from_member_id: "a".into(), to_member_id: "a".into(), text: "自我批评".into() },
                Criticism { from_member_id: "y".into(), to_member_id: "b".into(), text: " ".into() },
            ],
            ..MeetingContent::default()
        };
        assert_eq!(
            content.problems(&["a", "b"]),
            vec![
                RecordProblem::DuplicateAttendance { member_id: "a".into() },
                RecordProblem::AbsentWithoutReason { member_id: "b".into() },
                RecordProblem::NotInBranch { member_id: "x".into() },
                RecordProblem::CriticismToSelf { member_id: "a".into() },
                RecordProblem::NotInBranch { member_id: "y".into() },
                RecordProblem::EmptyCriticism { entry: 2 },
            ]
        );
    }

    #[test]
    fn locking_needs_a_date_a_place_everyone_s_attendance_and_minutes() {
        let empty = MeetingContent::default();
        assert_eq!(
            empty.lock_gaps(&["a"]),
            vec![LockGap::NoDate, LockGap::NoPlace, LockGap::NoAttendance, LockGap::NoMinutes]
        );
        let partial = MeetingContent {
            date: "2026-01-15".into(),
            time: String::new(),
            place: "会议室".into(),
            minutes: "记录".into(),
            attendance: vec![present("a")],
            ..MeetingContent::default()
        };
        assert_eq!(
            partial.lock_gaps(&["a", "b", "c"]),
            vec![LockGap::NoDate, LockGap::AttendanceMissing { member_ids: vec!["b".into(), "c".into()] }]
        );
    }
}
