//! Each branch's progress through the campaign's steps, from counts the store gives per organization, and the
//! sums over the branches under a committee: pure, so the rules (what counts as done, what is overdue) are tested
//! without a database.

use mingjing_review::campaign::Step;

/// What one branch has done, or the sum over several branches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Branches summed (1 for a branch).
    pub branches: i64,
    pub members: i64,
    /// Materials past the draft (submitted, returned or approved).
    pub materials_submitted: i64,
    pub materials_approved: i64,
    pub study_sessions: i64,
    pub talk_pairs_required: i64,
    pub talk_pairs_done: i64,
    pub opinions: i64,
    /// Branches with a meeting record, and with it locked.
    pub meetings_held: i64,
    pub meetings_locked: i64,
    pub appraisals_closed: i64,
    /// Branches whose report is with the superior or acknowledged, and acknowledged.
    pub reports_submitted: i64,
    pub reports_acknowledged: i64,
    /// The ledger's items verified done (已验收), and all its items.
    pub rectification: (i64, i64),
    /// Per step in [`Step::ALL`] order: branches that finished it.
    pub steps_done: [i64; 5],
    /// Per step: branches past its deadline without finishing it.
    pub steps_overdue: [i64; 5],
}

impl Counts {
    /// Adds a branch's or another sum's counts.
    pub fn add(&mut self, other: &Counts) {
        self.branches += other.branches;
        self.members += other.members;
        self.materials_submitted += other.materials_submitted;
        self.materials_approved += other.materials_approved;
        self.study_sessions += other.study_sessions;
        self.talk_pairs_required += other.talk_pairs_required;
        self.talk_pairs_done += other.talk_pairs_done;
        self.opinions += other.opinions;
        self.meetings_held += other.meetings_held;
        self.meetings_locked += other.meetings_locked;
        self.appraisals_closed += other.appraisals_closed;
        self.reports_submitted += other.reports_submitted;
        self.reports_acknowledged += other.reports_acknowledged;
        self.rectification.0 += other.rectification.0;
        self.rectification.1 += other.rectification.1;
        for (mine, theirs) in self.steps_done.iter_mut().zip(other.steps_done) {
            *mine += theirs;
        }
        for (mine, theirs) in self.steps_overdue.iter_mut().zip(other.steps_overdue) {
            *mine += theirs;
        }
    }

    /// Whether a single branch has finished `step`.
    pub fn done(&self, step: Step) -> bool {
        match step {
            Step::Talks => self.talk_pairs_done >= self.talk_pairs_required,
            Step::Materials => self.materials_approved >= self.members,
            Step::Meeting => self.meetings_locked > 0,
            Step::Appraisal => self.appraisals_closed > 0,
            Step::Report => self.reports_submitted > 0,
        }
    }

    /// Marks, for a single branch, which steps are done and which are overdue: a step is overdue once the day
    /// after its deadline has begun (`today` and the deadlines as day numbers) and it is not done.
    pub fn judge(&mut self, deadlines: &[(Step, i64)], today: i64) {
        for (i, step) in Step::ALL.into_iter().enumerate() {
            let done = self.done(step);
            self.steps_done[i] = i64::from(done);
            let late = deadlines.iter().any(|&(s, day)| s == step && today > day);
            self.steps_overdue[i] = i64::from(late && !done);
        }
    }

    /// Any step overdue.
    pub fn overdue(&self) -> bool {
        self.steps_overdue.iter().any(|&n| n > 0)
    }
}

/// A share as a whole percent, or "—" when there is nothing to share.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 { "—".to_owned() } else { format!("{}%", part * 100 / whole) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch() -> Counts {
        Counts { branches: 1, members: 3, talk_pairs_required: 2, ..Counts::default() }
    }

    #[test]
    fn a_step_is_overdue_only_after_its_day_and_only_when_not_done() {
        let deadlines = [(Step::Materials, 100), (Step::Meeting, 110)];
        let mut c = Counts { materials_approved: 2, ..branch() };
        c.judge(&deadlines, 100);
        assert!(!c.overdue(), "on the day itself nothing is late");
        c.judge(&deadlines, 101);
        assert_eq!(c.steps_overdue, [0, 1, 0, 0, 0], "materials late; talks have no deadline");
        c.materials_approved = 3;
        c.meetings_locked = 1;
        c.judge(&deadlines, 200);
        assert_eq!(c.steps_overdue, [0; 5]);
        assert_eq!(c.steps_done, [0, 1, 1, 0, 0]);
    }

    #[test]
    fn sums_add_every_column() {
        let mut total = Counts::default();
        let mut a = Counts { talk_pairs_done: 2, rectification: (1, 4), ..branch() };
        a.judge(&[], 0);
        let mut b = Counts { opinions: 5, ..branch() };
        b.judge(&[(Step::Talks, 0)], 1);
        total.add(&a);
        total.add(&b);
        assert_eq!((total.branches, total.members, total.opinions, total.talk_pairs_required), (2, 6, 5, 4));
        assert_eq!(total.rectification, (1, 4));
        assert_eq!((total.steps_done[0], total.steps_overdue[0]), (1, 1));
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(0, 0), "—");
    }
}
