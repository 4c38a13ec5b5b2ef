//! Which pairs of a branch must talk (谈心谈话), and which of them have: pure, so the rules are tested without a
//! database. The secretary talks with everyone; the other kinds of pair follow the campaign's settings.

use std::collections::HashSet;

/// Where a person sits for the purpose of the talk rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Secretary,
    Committee,
    Member,
}

/// The campaign's settings, besides the secretary with everyone (always required).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub committee_pairs: bool,
    pub committee_with_members: bool,
    pub member_pairs: bool,
}

/// Whether a pair of these seats must talk.
pub fn required(a: Seat, b: Seat, rules: &Rules) -> bool {
    match (a, b) {
        (Seat::Secretary, _) | (_, Seat::Secretary) => true,
        (Seat::Committee, Seat::Committee) => rules.committee_pairs,
        (Seat::Committee, Seat::Member) | (Seat::Member, Seat::Committee) => rules.committee_with_members,
        (Seat::Member, Seat::Member) => rules.member_pairs,
    }
}

/// One person's row: the people (as indexes into the roster given) they have talked with as required, and those
/// they still must talk with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub done: Vec<usize>,
    pub missing: Vec<usize>,
}

/// The whole branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// One row per person, in the roster's order.
    pub rows: Vec<Row>,
    pub required_pairs: usize,
    pub done_pairs: usize,
}

impl Coverage {
    pub fn missing_pairs(&self) -> usize {
        self.required_pairs - self.done_pairs
    }
}

/// The coverage of a roster (`(id, seat)` per person) by the talks held (pairs of ids, in either order). Talks with
/// someone no longer on the roster, and talks no rule requires, count for nothing here.
pub fn coverage<'a>(
    roster: &[(&str, Seat)],
    talks: impl IntoIterator<Item = (&'a str, &'a str)>,
    rules: &Rules,
) -> Coverage {
    let held: HashSet<(&str, &str)> = talks.into_iter().map(|(a, b)| if a <= b { (a, b) } else { (b, a) }).collect();
    let mut rows = vec![Row { done: Vec::new(), missing: Vec::new() }; roster.len()];
    let (mut required_pairs, mut done_pairs) = (0, 0);
    for (i, &(a, seat_a)) in roster.iter().enumerate() {
        for (j, &(b, seat_b)) in roster.iter().enumerate().skip(i + 1) {
            if a == b || !required(seat_a, seat_b, rules) {
                continue;
            }
            required_pairs += 1;
            let key = if a <= b { (a, b) } else { (b, a) };
            if held.contains(&key) {
                done_pairs += 1;
                rows[i].done.push(j);
                rows[j].done.push(i);
            } else {
                rows[i].missing.push(j);
                rows[j].missing.push(i);
            }
        }
    }
    for row in &mut rows {
        row.done.sort_unstable();
        row.missing.sort_unstable();
    }
    Coverage { rows, required_pairs, done_pairs }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Rules = Rules { committee_pairs: true, committee_with_members: true, member_pairs: true };
    const NONE: Rules = Rules { committee_pairs: false, committee_with_members: false, member_pairs: false };

    fn roster() -> Vec<(&'static str, Seat)> {
        vec![
            ("s", Seat::Secretary),
            ("c1", Seat::Committee),
            ("c2", Seat::Committee),
            ("m1", Seat::Member),
            ("m2", Seat::Member),
        ]
    }

    #[test]
    fn the_secretary_talks_with_everyone_whatever_the_settings() {
        let c = coverage(&roster(), [], &NONE);
        assert_eq!(c.required_pairs, 4);
        assert_eq!(c.rows[0].missing, vec![1, 2, 3, 4]);
        assert_eq!(c.rows[3].missing, vec![0], "a member owes only the secretary");
    }

    #[test]
    fn every_setting_adds_its_kind_of_pair() {
        assert_eq!(coverage(&roster(), [], &ALL).required_pairs, 10, "every pair of five");
        let only_committee = Rules { committee_pairs: true, ..NONE };
        assert_eq!(coverage(&roster(), [], &only_committee).required_pairs, 5);
        let committee_members = Rules { committee_with_members: true, ..NONE };
        assert_eq!(coverage(&roster(), [], &committee_members).required_pairs, 8);
        let members = Rules { member_pairs: true, ..NONE };
        let c = coverage(&roster(), [], &members);
        assert_eq!(c.required_pairs, 5);
        assert_eq!(c.rows[3].missing, vec![0, 4]);
    }

    #[test]
    fn a_talk_covers_its_pair_in_either_order_once() {
        let talks = [("m1", "s"), ("s", "m1"), ("c1", "c2"), ("m1", "gone"), ("m1", "m2")];
        let c = coverage(&roster(), talks, &Rules { committee_pairs: true, ..NONE });
        assert_eq!((c.required_pairs, c.done_pairs, c.missing_pairs()), (5, 2, 3));
        assert_eq!(c.rows[0].done, vec![3]);
        assert_eq!(c.rows[3], Row { done: vec![0], missing: vec![] });
        assert_eq!(c.rows[1], Row { done: vec![2], missing: vec![0] });
        assert!(c.rows[4].done.is_empty(), "members' talk not required here, so it counts for nothing");
    }

    #[test]
    fn a_branch_without_a_secretary_has_only_the_settings_pairs() {
        let roster = [("c1", Seat::Committee), ("m1", Seat::Member)];
        assert_eq!(coverage(&roster, [], &NONE).required_pairs, 0);
        assert_eq!(coverage(&roster, [], &ALL).required_pairs, 1);
        assert_eq!(coverage(&[], [], &ALL), Coverage { rows: vec![], required_pairs: 0, done_pairs: 0 });
    }
}
