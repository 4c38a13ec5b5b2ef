//! Specificity hints: problems stated with no concrete detail (泛泛而谈 candidates).
//!
//! Reviewers ask for problems that "见人见事见思想": a matter, a time, a number, a
//! place or a person. The check looks for any such detail with plain patterns; a problem
//! with none is a hint for the reviewer, never a verdict, so the patterns lean towards
//! finding detail where there is some doubt.

use std::sync::LazyLock;

use crate::checks::correspondence::ProblemRef;
use crate::segment::{Phrases, is_significant};
use crate::structure::Material;

/// A problem that may be too general, and why the engine thinks so (Chinese, a hint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VagueProblem {
    pub problem: ProblemRef,
    pub reason: String,
}

/// What every flagged problem is told.
pub const VAGUE_HINT: &str = "未写具体事例、时间、数字或人名，可能泛泛而谈（见人见事见思想）";

/// Numbered formulas and standing slogans: they contain numbers and quotes but name
/// nothing the writer did. Blanked out before looking for detail.
const SLOGANS: &[&str] = &[
    "2035年远景目标",
    "十四五",
    "十三五",
    "四个意识",
    "四个自信",
    "两个维护",
    "两个确立",
    "四个全面",
    "五位一体",
    "三个代表",
    "两个务必",
    "三个务必",
    "六稳",
    "六保",
    "三会一课",
    "一岗双责",
    "两学一做",
    "三严三实",
    "四风",
    "四下基层",
    "八项规定",
    "第一责任人",
    "第一议题",
    "一把手",
    "最多跑一次",
    "一次性告知",
    "不忘初心",
    "牢记使命",
    "规定动作",
    "关键少数",
    "放管服",
    "学通、弄懂、做实",
    "从群众中来，到群众中去",
    "一年来",
    "一系列",
    "一定程度",
];

/// Stock phrases of self-criticism: true of anyone, and the mark of a template.
const STOCK_PHRASES: &[&str] = &[
    "不深不透",
    "不够到位",
    "有待进一步",
    "有待提高",
    "有待加强",
    "还有差距",
    "还有一定差距",
    "存在差距",
    "有所减弱",
    "有所弱化",
    "有所减退",
    "有所放松",
    "有所淡化",
    "有所下降",
    "有所不足",
    "思路不清",
    "办法不多",
    "方法不多",
    "措施不多",
    "思考不深",
    "不够深入",
    "不够全面",
    "不够扎实",
    "不够系统",
    "不够严格",
    "不够有力",
    "不够透彻",
    "不够紧密",
    "不够强",
    "不够高",
    "不到位",
    "不深入",
    "不透彻",
    "不充分",
    "不紧密",
    "不明显",
    "不全面",
    "站位不高",
    "标准不高",
    "看得不远",
    "看的不远",
    "研究不够",
    "力度不够",
    "力度不强",
    "还需加强",
    "还有欠缺",
    "浅尝辄止",
    "一知半解",
    "学用脱节",
    "知行不一",
    "现用现学",
    "急用急学",
    "不用缓学",
    "以会代学",
    "真学真懂",
    "活学活用",
    "学深悟透",
    "满足于",
    "停留在",
    "重业务轻党建",
    "畏难情绪",
    "松劲心态",
    "开会强调多",
    "与上级要求",
    "与新时代",
];

/// Chinese numerals that count something when a measure word follows (两个, 三次, 半年).
fn is_numeral(c: char) -> bool {
    matches!(c, '一' | '二' | '两' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '百' | '千' | '万' | '半')
}

/// Measure words after a Chinese numeral; 一 takes only those in [`ONE_UNITS`], since
/// 一个 / 一名 / 一年 open countless general sentences (作为一名党员).
const UNITS: &[char] = &[
    '次', '个', '项', '件', '篇', '场', '户', '家', '条', '期', '批', '本', '回', '遍', '天', '周', '月', '年', '处',
    '所', '座', '份', '套', '人', '名', '位', '轮', '趟', '笔', '宗', '台', '辆', '元', '季', '届',
];
const ONE_UNITS: &[char] = &['次', '项', '件', '篇', '场', '户', '家', '批', '回', '遍', '天', '周', '趟', '笔', '宗'];

/// Words that date what they tell.
const TIME_WORDS: &[&str] = &[
    "今年",
    "去年",
    "前年",
    "上半年",
    "下半年",
    "年初",
    "年底",
    "年中",
    "年末",
    "月初",
    "月底",
    "月份",
    "春节",
    "国庆",
    "元旦",
    "汛期",
    "疫情期间",
    "当时",
    "那次",
    "上周",
    "上月",
    "本月",
    "当天",
];

/// Words that open a case or an example.
const CASE_MARKERS: &[&str] = &["例如", "比如", "譬如", "如在", "有一次", "曾经", "有一回", "那一次"];

/// Suffixes of places and organizations, each with the followers that make it a
/// general word instead (局面, 县委, 村级, 乡镇).
const PLACE_SUFFIXES: &[(&str, &[char])] = &[
    ("县", &['委', '级', '域', '里', '城', '乡', '直', '情', '内', '外']),
    ("乡", &['镇', '村', '亲', '下', '土', '愁', '贤', '风', '情', '间', '级']),
    ("镇", &['村', '街', '级', '压', '定', '守', '痛', '静']),
    ("村", &['级', '民', '组', '庄', '里', '干', '两', '党', '集', '居', '务', '容', '落']),
    ("社区", &['治', '服', '工', '居', '党', '干', '群']),
    ("街道", &['办', '两']),
    ("局", &['面', '势', '限', '部', '促', '观', '长', '外']),
    ("医院", &[]),
    ("学校", &[]),
    ("中学", &['生']),
    ("小学", &['生']),
    ("大学", &['生']),
    ("公司", &[]),
    ("银行", &[]),
    ("办事处", &[]),
];

/// Chars before a place suffix that make it general (全县, 各乡, 本村, 到村, 驻村).
const GENERAL_BEFORE_PLACE: &[char] = &[
    '全', '各', '本', '该', '我', '其', '乡', '县', '市', '省', '区', '村', '镇', '层', '级', '位', '进', '驻', '包',
    '下', '到', '在', '个', '些', '多', '等', '和', '与', '及', '的', '了', '城', '农', '新', '老', '大', '小', '好',
    '办', '结', '布', '格', '当', '政', '出', '入', '回', '去',
];

/// Chars before 同志 that make it anyone (个别同志, 党员同志, 有的同志, 年轻同志).
const GENERAL_BEFORE_COMRADE: &[char] = &[
    '别', '员', '的', '些', '分', '他', '年', '老', '新', '层', '大', '数', '位', '名', '导', '部', '女', '男', '和',
    '与', '对', '向', '跟', '及', '各', '们', '轻', '体', '多', '少', '关', '机', '边', '事', '同',
];

/// Common surnames, for 张某 and 王书记.
const SURNAMES: &str = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付邹熊孟秦邱侯江尹薛闫段雷黎史陶贺毛郝顾龚邵覃武钱戴莫孔汤康乔赖施洪辛柯庄葛牛尤倪祝";

/// Titles that name a person when a surname precedes them.
const TITLES: &[&str] = &[
    "书记", "主任", "局长", "县长", "镇长", "乡长", "村长", "科长", "部长", "主席", "校长", "院长", "经理", "老师",
    "师傅",
];

/// Share of a problem's significant chars in stock phrases above which the problem is
/// said to be made of them: on the example the five most formulaic problems (理论学习
/// 不深入: 不深不透, 现用现学, 急用急学…) reach 0.19–0.30, the others stay at 0.04–0.11.
const STOCK_SHARE: f64 = 0.15;

static SLOGAN_SET: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(SLOGANS));
static STOCK_SET: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(STOCK_PHRASES));
static DETAIL_WORDS: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(TIME_WORDS.iter().chain(CASE_MARKERS)));
static PLACE_SET: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(PLACE_SUFFIXES.iter().map(|(suffix, _)| suffix)));
static TITLE_SET: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(TITLES));

/// Problems with no concrete detail, in material order.
pub fn vague_problems(material: &Material) -> Vec<VagueProblem> {
    let chars = material.text.chars();
    material
        .problems()
        .filter_map(|(section, index, item)| {
            let text = &chars[item.range.clone()];
            if has_detail(&blank_slogans(text)) {
                return None;
            }
            let stock = stock_phrases(text);
            let significant = text.iter().filter(|c| is_significant(**c)).count().max(1);
            let covered: usize = stock.iter().map(|(_, n)| n).sum();
            let mut reason = VAGUE_HINT.to_owned();
            if covered as f64 / significant as f64 >= STOCK_SHARE {
                let names: Vec<String> = stock.iter().map(|(p, _)| p.iter().collect()).collect();
                reason.push_str("；多为常见套话（");
                reason.push_str(&names.join("、"));
                reason.push('）');
            }
            Some(VagueProblem { problem: ProblemRef { section, index }, reason })
        })
        .collect()
}

/// `text` with every slogan replaced by spaces, so that nothing inside them is found and
/// nothing around them joins across them.
fn blank_slogans(text: &[char]) -> Vec<char> {
    let mut out = text.to_vec();
    for (start, slogan) in SLOGAN_SET.find(text) {
        let end = start + SLOGAN_SET.phrase(slogan).len();
        out[start..end].iter_mut().for_each(|c| *c = ' ');
    }
    out
}

/// Any concrete detail: a number, a date, a named document or term, a place or
/// organization, a case, a person.
fn has_detail(text: &[char]) -> bool {
    has_number(text)
        || DETAIL_WORDS.any_in(text)
        || has_month(text)
        || has_named_thing(text)
        || has_case_clause(text)
        || has_place(text)
        || has_person(text)
}

/// A digit anywhere (slogans are blanked), or a Chinese numeral with a measure word.
fn has_number(text: &[char]) -> bool {
    text.iter().any(char::is_ascii_digit)
        || text.windows(2).enumerate().any(|(i, w)| {
            let unit_follows = if w[0] == '一' { ONE_UNITS.contains(&w[1]) } else { UNITS.contains(&w[1]) };
            // 第一 / 十九届 / 一次性 are ranks and adjectives, not counts.
            is_numeral(w[0])
                && unit_follows
                && !(i > 0 && matches!(text[i - 1], '第' | '每'))
                && text.get(i + 2) != Some(&'性')
                && !(w[1] == '届' && i > 0 && is_numeral(text[i - 1]))
        })
}

/// 三月 / 十二月: a month named in Chinese numerals.
fn has_month(text: &[char]) -> bool {
    text.windows(2).enumerate().any(|(i, w)| {
        w[1] == '月' && is_numeral(w[0]) && w[0] != '半' && !(i > 0 && is_numeral(text[i - 1]) && w[0] == '一')
    })
}

/// A 《document》, or a quoted term of two chars or more that is not a slogan
/// (slogans are blanked, leaving the quotes around spaces).
fn has_named_thing(text: &[char]) -> bool {
    let quoted = |open: char, close: char| {
        let mut inside: Option<usize> = None;
        for (at, &c) in text.iter().enumerate() {
            match inside {
                None if c == open => inside = Some(at + 1),
                Some(start) if c == close => {
                    let term = &text[start..at];
                    let named = term.iter().filter(|c| is_significant(**c)).count() >= 2;
                    if named && (open == '《' || !is_formula(term)) {
                        return true;
                    }
                    inside = None;
                }
                _ => {}
            }
        }
        false
    };
    quoted('《', '》') || quoted('"', '"')
}

/// A short quoted term with a number in it is a numbered formula (三个关键, 五个坚持),
/// a slogan the list does not know.
fn is_formula(term: &[char]) -> bool {
    term.len() <= 8 && term.iter().any(|c| is_numeral(*c) || c.is_ascii_digit())
}

/// 在…时 / 在…期间: a clause that sets a scene (在迎检时, 在处理信访件期间).
fn has_case_clause(text: &[char]) -> bool {
    const NOT_A_SCENE: &[char] =
        &['同', '平', '及', '随', '有', '按', '准', '适', '届', '实', '即', '历', '小', '工', '暂'];
    text.iter().enumerate().filter(|(_, c)| **c == '在').any(|(at, _)| {
        let rest = &text[at + 1..text.len().min(at + 14)];
        let clause = &rest[..rest.iter().position(|c| !is_significant(*c)).unwrap_or(rest.len())];
        clause.windows(2).enumerate().any(|(i, w)| {
            // 时代 / 时间 / 时刻 are nouns, not "when".
            let when = w[1] == '时'
                && !NOT_A_SCENE.contains(&w[0])
                && !clause
                    .get(i + 2)
                    .is_some_and(|c| matches!(c, '代' | '间' | '刻' | '常' | '效' | '期' | '机' | '势'));
            i >= 1 && (when || (w[0] == '期' && w[1] == '间'))
        })
    })
}

/// A place or organization with a name before it (城关镇, 县人民医院, 安溪县).
fn has_place(text: &[char]) -> bool {
    PLACE_SET.find(text).any(|(at, suffix)| {
        let general_after = PLACE_SUFFIXES[suffix].1;
        let name = &text[at.saturating_sub(2)..at];
        let after = text.get(at + PLACE_SET.phrase(suffix).len());
        name.len() == 2
            && name.iter().all(|c| is_cjk(*c))
            && !GENERAL_BEFORE_PLACE.contains(&name[1])
            && !after.is_some_and(|c| general_after.contains(c))
    })
}

/// A person: X同志 with a name before it, 某某 / 张某, or 王书记.
fn has_person(text: &[char]) -> bool {
    let comrade = text.windows(2).enumerate().any(|(at, w)| {
        w == ['同', '志'] && at > 0 && is_cjk(text[at - 1]) && !GENERAL_BEFORE_COMRADE.contains(&text[at - 1])
    });
    let someone = text.windows(2).enumerate().any(|(i, w)| {
        w[1] == '某'
            && (w[0] == '某' || SURNAMES.contains(w[0]))
            && !text
                .get(i + 2)
                .is_some_and(|c| matches!(c, '些' | '种' | '个' | '项' | '方' | '类' | '处' | '时' | '件'))
    });
    let titled = TITLE_SET.find(text).any(|(at, _)| at > 0 && SURNAMES.contains(text[at - 1]));
    comrade || someone || titled
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The stock phrases in `text`, each once and in text order, with the chars they
/// cover; a phrase inside a longer one found (不到位 in 不够到位) is not counted again.
fn stock_phrases(text: &[char]) -> Vec<(&'static [char], usize)> {
    let mut found: Vec<(usize, usize)> = STOCK_SET.find(text).collect();
    found.sort_by_key(|&(at, p)| (std::cmp::Reverse(STOCK_SET.phrase(p).len()), at));
    let mut covered = vec![false; text.len()];
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for (at, p) in found {
        let span = at..at + STOCK_SET.phrase(p).len();
        if !covered[span.clone()].iter().any(|c| *c) {
            covered[span].iter_mut().for_each(|c| *c = true);
            kept.push((at, p));
        }
    }
    kept.sort_unstable();
    let mut phrases: Vec<(&'static [char], usize)> = Vec::new();
    for (_, p) in kept {
        let phrase: &'static [char] = STOCK_SET.phrase(p);
        match phrases.iter_mut().find(|(q, _)| *q == phrase) {
            Some((_, chars)) => *chars += phrase.len(),
            None => phrases.push((phrase, phrase.len())),
        }
    }
    phrases
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::correspondence::test_material::{Spec, build, example};

    fn flagged(problems: &[&str]) -> Vec<bool> {
        let m = build(&Spec { sections: &[("（一）作风方面", problems)], ..Spec::default() });
        let vague = vague_problems(&m);
        (0..problems.len()).map(|i| vague.iter().any(|v| v.problem.index == i)).collect()
    }

    #[test]
    fn stock_problem_is_flagged_with_its_phrases() {
        let m = build(&Spec {
            sections: &[("（一）学习方面", &["理论学习不深不透，思路不清，办法不多，与上级要求还有差距。"])],
            ..Spec::default()
        });
        let vague = vague_problems(&m);
        assert_eq!(vague.len(), 1);
        assert_eq!(vague[0].problem, ProblemRef { section: 0, index: 0 });
        assert!(vague[0].reason.starts_with(VAGUE_HINT));
        assert!(vague[0].reason.contains("可能"));
        for phrase in ["不深不透", "思路不清", "办法不多", "还有差距"] {
            assert!(vague[0].reason.contains(phrase), "{}", vague[0].reason);
        }
    }

    #[test]
    fn plain_vague_problem_gets_the_plain_hint() {
        let m = build(&Spec {
            sections: &[("（一）作风方面", &["对干部职工的思想动态关心得少，与大家交流沟通也少。"])],
            ..Spec::default()
        });
        let vague = vague_problems(&m);
        assert_eq!(vague.len(), 1);
        assert_eq!(vague[0].reason, VAGUE_HINT);
    }

    #[test]
    fn any_concrete_detail_clears_a_problem() {
        assert_eq!(
            flagged(&[
                "全年只下乡调研3次，次数偏少。",
                "今年上半年参加集中学习缺席两次。",
                "三月份的专题学习没有写心得。",
                "对《中国共产党纪律处分条例》学得不细。",
                "对\"容缺受理\"改革推进不力。",
                "城关镇便民服务中心的投诉没有及时回复。",
                "比如对群众反映的停车难问题拖了很久。",
                "在迎接省里检查时搞突击整理台账。",
                "对张三同志的批评不够严厉。",
                "对王某的违规行为没有及时制止。",
                "李书记提的意见没有落实。",
            ]),
            vec![false; 11]
        );
    }

    #[test]
    fn slogans_and_generic_words_are_not_detail() {
        assert_eq!(
            flagged(&[
                "增强\"四个意识\"、坚定\"四个自信\"、做到\"两个维护\"不够。",
                "对\"十四五\"规划和2035年远景目标学得不深。",
                "\"三会一课\"流于形式，第一责任人作用发挥不够。",
                "在把握新时代的形势要求上还有差距。",
                "作为一名党员，一定程度上放松了要求。",
                "对全县各乡镇村级组织指导不够，开创新局面的办法不多。",
                "对个别同志批评不够，在工作的同时忽视了学习。",
                "以\"稳\"字当头，缺乏开拓精神。",
            ]),
            vec![true; 8]
        );
    }

    #[test]
    fn example_problems_are_all_general() {
        let m = example();
        let vague = vague_problems(&m);
        assert_eq!(vague.len(), 14);
        // 理论学习不深入 is mostly stock phrases.
        let first = &vague[0];
        assert_eq!(first.problem, ProblemRef { section: 0, index: 0 });
        assert!(first.reason.contains("不深不透"), "{}", first.reason);
        assert_eq!(vague.iter().filter(|v| v.reason.contains("套话")).count(), 5);
    }
}
