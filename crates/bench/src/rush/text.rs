//! Each member's material: the real 2021 example varied per member, so that no two texts are equal and copy
//! detection has work. Headings stay; in the body, most sentences are kept (what a template gives everyone), some
//! are reworded, some dropped, and some replaced by the member's own concrete sentences. One member in ten takes
//! the own sentences of the member before them, as a colleague's material copied would look.

/// The real material every variant starts from.
pub const EXAMPLE: &str = include_str!("../../../../examples/material-2021-county.txt");

/// A small deterministic generator (splitmix64): the same member gets the same text on every run.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn roll(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.roll() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

const TASKS: &[&str] = &[
    "疫情防控值守",
    "乡村振兴驻村帮扶",
    "政务服务窗口",
    "财政预算编制",
    "人居环境整治",
    "防汛救灾",
    "安全生产检查",
    "信访接待",
    "项目审批",
    "社区网格化管理",
    "教育教学",
    "医疗服务",
    "档案整理",
    "招商引资",
];
const SLIPS: &[&str] = &[
    "对群众反映的问题没有及时跟踪回访",
    "满足于完成上级布置的任务，主动谋划不够",
    "有两次材料报送超过了规定时限",
    "对新政策学习不及时，解答群众咨询时不够准确",
    "深入一线调研次数偏少，掌握情况不够全面",
    "与同事沟通不够，导致工作衔接出现脱节",
    "台账记录不完整，检查时临时补记",
    "对苗头性问题重视不够，没有及时提醒",
];
const AMENDS: &[&str] = &[
    "今后我将建立工作台账，逐项销号",
    "下一步我将每月至少两次深入一线",
    "我将主动向群众说明办理进度，直到问题解决",
    "我将认真学习相关政策规定，做到应知应会",
    "我将在每周例会上主动报告工作进展",
];
/// Near rewordings: a reworded sentence still copies, but not word for word.
const REWORDS: &[(&str, &str)] = &[
    ("不够", "还不够"),
    ("没有", "未能"),
    ("存在", "仍然存在"),
    ("工作", "日常工作"),
    ("学习", "理论学习"),
    ("进一步", "切实"),
    ("深入", "扎实"),
    ("问题", "短板"),
];

/// The member's own concrete sentence.
fn own_sentence(dice: &mut Dice) -> String {
    let (year, month) = (2020 + dice.below(2), 1 + dice.below(12));
    let task = dice.pick(TASKS);
    let slip = dice.pick(SLIPS);
    let amend = dice.pick(AMENDS);
    format!("比如{year}年{month}月在{task}工作中，我{slip}，{amend}。")
}

fn reword(sentence: &str, dice: &mut Dice) -> String {
    let (from, to) = REWORDS[usize::try_from(dice.below(REWORDS.len() as u64)).unwrap_or(0)];
    if sentence.contains(from) { sentence.replacen(from, to, 1) } else { format!("同时，{sentence}") }
}

/// Member number `n`'s material (any number; equal numbers give equal texts).
pub fn material(n: u64) -> String {
    let mut dice = Dice::new(0x5EED_0000 + n);
    // One in ten copies the previous member's own sentences.
    let mut own = Dice::new(0x0A11_0000 + if n % 10 == 9 { n - 1 } else { n });
    let mut out = String::with_capacity(EXAMPLE.len() + 1024);
    for line in EXAMPLE.lines() {
        // Headings, the title and blank lines stay as they are: the structure is the campaign's.
        if line.chars().count() < 100 {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        for sentence in line.split_inclusive('。') {
            match dice.below(20) {
                0 => {}
                1..=4 => out.push_str(&own_sentence(&mut own)),
                5 | 6 => out.push_str(&reword(sentence, &mut dice)),
                _ => out.push_str(sentence),
            }
        }
        out.push('\n');
    }
    out.push_str(&format!("\n（本材料由第{n}号党员本人撰写。）\n"));
    out
}

/// The draft saved before the material is finished: its first half, by lines.
pub fn draft(full: &str) -> String {
    let lines: Vec<&str> = full.lines().collect();
    let mut draft = lines[..lines.len() / 2].join("\n");
    draft.push('\n');
    draft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_writes_a_different_text_from_the_same_example() {
        let (a, b) = (material(1), material(2));
        assert_ne!(a, b);
        assert_eq!(a, material(1), "the same member, the same text");
        let headings = |t: &str| t.lines().filter(|l| l.starts_with("**")).count();
        assert_eq!(headings(&a), headings(EXAMPLE), "the structure is kept");
        assert!(a.contains("比如") && a.len() > EXAMPLE.len() / 2);
        // Member 9 copies member 8's own sentences.
        let own =
            |t: &str| t.split_inclusive('。').filter(|s| s.contains("比如")).map(str::to_owned).collect::<Vec<_>>();
        assert!(own(&material(9)).iter().any(|s| material(8).contains(s.trim_start_matches('\n'))));
        let d = draft(&a);
        assert!(a.starts_with(&d[..d.len() - 1]) && d.len() < a.len());
    }
}
