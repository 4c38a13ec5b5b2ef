//! Proportions: how much of the material is spent on each part.
//!
//! Organization departments have long asked that problems and their causes take up
//! most of a material (one old rule: at least 40–50%); a material that is mostly
//! opening and promises has looked away from itself.

use std::ops::Range;

use crate::segment::is_significant;
use crate::structure::Material;

/// Shares of the material's significant chars (no whitespace, punctuation or headings).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Proportions {
    pub opening: f64,
    pub problems: f64,
    pub matters_report: f64,
    pub causes: f64,
    pub measures: f64,
    /// problems + causes: reviewers expect at least about half.
    pub problem_share: f64,
}

/// Each part's share of the significant chars of the whole text, headings (and the
/// title, one of them) left out of both. Text in no part (closing lines, a signature)
/// counts in the whole only, so the shares may sum to less than 1.
pub fn proportions(material: &Material) -> Proportions {
    let chars = material.text.chars();
    let mut counted = vec![true; chars.len()];
    for heading in material.headings() {
        if let Some(flags) = counted.get_mut(heading) {
            flags.iter_mut().for_each(|f| *f = false);
        }
    }
    // before[i]: significant chars outside headings before normalized index i, so that
    // every part costs one subtraction.
    let mut before = Vec::with_capacity(chars.len() + 1);
    before.push(0usize);
    let mut n = 0;
    for (c, counted) in chars.iter().zip(&counted) {
        n += usize::from(*counted && is_significant(*c));
        before.push(n);
    }
    let count = |range: &Range<usize>| {
        let end = range.end.min(chars.len());
        before[end] - before[range.start.min(end)]
    };
    let total = n;
    if total == 0 {
        return Proportions::default();
    }
    let share = |n: usize| n as f64 / total as f64;
    let problems: usize = material.sections.iter().map(|s| count(&s.body)).sum();
    let causes = share(count(&material.causes.body));
    Proportions {
        opening: share(material.opening.as_ref().map_or(0, count)),
        problems: share(problems),
        matters_report: share(material.matters_report.as_ref().map_or(0, |m| count(&m.body))),
        causes,
        measures: share(count(&material.measures.body)),
        problem_share: share(problems) + causes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::correspondence::test_material::{Spec, build, example};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn shares_count_significant_chars_without_headings() {
        // Item markers (一是) are part of a body; the title and headings count nowhere.
        let m = build(&Spec {
            title: Some("个人对照检查材料"),
            opening: Some("根据通知要求，现汇报如下："),
            sections: &[("（一）学习方面", &["学习不够深入。", "调研太少。"]), ("（二）作风方面", &["作风不实。"])],
            matters: Some(("（三）有关事项报告", "无应报事项。")),
            causes: &["放松要求，不够重视。"],
            measures: &["加强学习。"],
        });
        let p = proportions(&m);
        let sig = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).count() as f64;
        let opening = sig("根据通知要求，现汇报如下：");
        let problems = sig("一是学习不够深入。二是调研太少。") + sig("一是作风不实。");
        let matters = sig("无应报事项。");
        let causes = sig("一是放松要求，不够重视。");
        let measures = sig("一是加强学习。");
        let total = opening + problems + matters + causes + measures;
        assert!(close(p.opening, opening / total), "{p:?}");
        assert!(close(p.problems, problems / total), "{p:?}");
        assert!(close(p.matters_report, matters / total), "{p:?}");
        assert!(close(p.causes, causes / total), "{p:?}");
        assert!(close(p.measures, measures / total), "{p:?}");
        assert!(close(p.problem_share, (problems + causes) / total), "{p:?}");
        assert!(close(p.opening + p.problems + p.matters_report + p.causes + p.measures, 1.0));
    }

    #[test]
    fn punctuation_does_not_count() {
        let plain =
            build(&Spec {
                sections: &[("（一）学习方面", &["学习不够"])], measures: &["加强学习"], ..Spec::default()
            });
        let noisy = build(&Spec {
            sections: &[("（一）学习方面", &["学习，不够！！"])],
            measures: &["加强：学习。"],
            ..Spec::default()
        });
        assert_eq!(proportions(&plain), proportions(&noisy));
        assert!(close(proportions(&plain).problem_share, 0.5));
    }

    #[test]
    fn a_material_with_no_parts_has_zero_shares() {
        let m = build(&Spec { title: Some("对照检查材料"), ..Spec::default() });
        assert_eq!(proportions(&m), Proportions::default());
    }

    #[test]
    fn example_spends_about_half_on_problems_and_causes() {
        let p = proportions(&example());
        assert!((0.5..0.75).contains(&p.problem_share), "{p:?}");
        assert!(p.problems > p.causes && p.causes > 0.0 && p.measures > 0.0 && p.opening > 0.0, "{p:?}");
        assert!(p.opening + p.problems + p.matters_report + p.causes + p.measures <= 1.0 + 1e-9);
    }
}
