//! Word segmentation (jieba, dictionary loaded once per process) and the stop-list of
//! generic political wording that must not make unrelated sentences look alike; also
//! the char and phrase lookups the checks share, written for speed because every
//! check runs on every upload.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::LazyLock;

use jieba_rs::Jieba;

/// Loading the default dictionary takes tens of milliseconds, so every caller in the
/// process shares one instance.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Wording found in nearly every material, whatever it is about: the verbs of
/// resolution (加强, 提高, 切实…), the words of self-criticism (不够, 不足, 有待…), the name
/// of the theory, and function words. Two sentences sharing only these say nothing
/// alike. Topic words (学习, 理论, 调研, 服务, 群众, 纪律, 监督, 廉洁, 作风…) are
/// deliberately absent: they are what a measure answers a problem with.
const STOP_WORDS: &[&str] = &[
    // Verbs and adverbs of resolve and effort.
    "加强",
    "提高",
    "深入",
    "进一步",
    "不断",
    "切实",
    "坚持",
    "坚决",
    "始终",
    "努力",
    "落实",
    "推进",
    "扎实",
    "全面",
    "积极",
    "主动",
    "自觉",
    "真正",
    "做到",
    "做好",
    "开展",
    "进行",
    "强化",
    "提升",
    "增强",
    "加大",
    "加快",
    "推动",
    "促进",
    "确保",
    "保证",
    "保持",
    "树立",
    "牢固",
    "牢记",
    "注重",
    "重视",
    "结合",
    "围绕",
    "立足",
    "聚焦",
    "紧紧",
    "紧密",
    "着力",
    "大力",
    "全力",
    "认真",
    "严格",
    "充分",
    "有效",
    "持续",
    "更加",
    "更好",
    "改进",
    "完善",
    "优化",
    "转变",
    "实现",
    "形成",
    "抓好",
    "抓实",
    "实处",
    "发挥",
    "作用",
    "贯彻",
    "执行",
    "贯穿",
    "力求",
    "带头",
    "时刻",
    "务必",
    // Words of self-criticism and degree.
    "工作",
    "问题",
    "方面",
    "存在",
    "不够",
    "不足",
    "到位",
    "不到位",
    "有待",
    "有所",
    "一定",
    "程度",
    "差距",
    "欠缺",
    "缺乏",
    "缺少",
    "不强",
    "不高",
    "不深",
    "不实",
    "不严",
    "较少",
    "较多",
    "稍有",
    "还有",
    "还需",
    "还是",
    "需要",
    "亟待",
    "不是",
    "没有",
    "完全",
    "比较",
    "相对",
    "十分",
    "非常",
    "较为",
    "一些",
    "部分",
    "个别",
    "有的",
    "有些",
    "各种",
    "各项",
    "一系列",
    "情况",
    "现象",
    "表现",
    "方式",
    "方法",
    "办法",
    "思路",
    "措施",
    "力度",
    "效果",
    "成效",
    "水平",
    "标准",
    "要求",
    "意识",
    "能力",
    "认识",
    "理解",
    "把握",
    "深刻",
    "透彻",
    "系统",
    "实际",
    "具体",
    "当前",
    "目前",
    "今后",
    "日常",
    "平时",
    "平常",
    "一直",
    "经常",
    "往往",
    "总是",
    "偶尔",
    "导致",
    "致使",
    "影响",
    "由于",
    // The theory's name and the writer's stock self-reference: every material has them.
    "习近平",
    "新时代",
    "时代",
    "中国",
    "特色",
    "中国特色社会主义",
    "社会主义",
    "思想",
    "精神",
    "党中央",
    "本人",
    "自己",
    "自身",
    "个人",
    // Set phrases of the genre that jieba keeps whole.
    "深入开展",
    "紧密结合",
    "贯彻落实",
    "全面落实",
    "充分发挥",
    "落到实处",
    "始终保持",
    "严格要求",
    "严格执行",
    "贯彻执行",
    "工作力度",
    "当前工作",
    "各项任务",
    "有待于",
    "在思想上",
    "决策",
    "部署",
    "任务",
    "提出",
    "明确",
    "坚定",
    "有力",
    "明显",
    "主要",
    "重要",
    "重大",
    "相比",
    "对照",
    "考虑",
    "思考",
    "出现",
    "产生",
    "特别",
    "不能",
    "不同",
    "任何",
    "完成",
    "一种",
    "起来",
    "这次",
    "如下",
    "第一",
    "两个",
    "三个",
    "四个",
    "自信",
    "主观",
    "客观",
    // Function words jieba keeps as words of two or more chars.
    "我们",
    "他们",
    "自己的",
    "这些",
    "那些",
    "其他",
    "其它",
    "以及",
    "并且",
    "而且",
    "但是",
    "虽然",
    "然而",
    "因此",
    "所以",
    "因为",
    "如何",
    "怎样",
    "什么",
    "仍然",
    "依然",
    "已经",
    "正在",
    "能够",
    "可以",
    "应该",
    "之间",
    "以上",
    "以下",
    "对于",
    "关于",
    "通过",
    "按照",
    "根据",
    "作为",
    "同时",
    "其中",
    "之中",
    "上级",
    "相关",
    "有关",
    "一般",
    "过程",
    "层面",
    "一是",
    "二是",
    "三是",
    "四是",
    "五是",
    "六是",
];

/// Words (with HMM off, which is faster and keeps dictionary words whole) in text order.
/// Every returned slice borrows from `text`.
pub fn words(text: &str) -> Vec<&str> {
    JIEBA.cut(text, false).into_iter().map(|token| token.word).collect()
}

/// The words that say what a sentence is about: [`words`] without punctuation, numbers,
/// single chars and the [stop-list](is_stop_word).
pub fn content_words(text: &str) -> Vec<&str> {
    content_tokens(text).into_iter().map(|(_, word)| word).collect()
}

/// [`content_words`] with the byte range of each word in `text`, for callers that must
/// tell which clause a word came from.
pub fn content_tokens(text: &str) -> Vec<(Range<usize>, &str)> {
    JIEBA
        .cut(text, false)
        .into_iter()
        .filter(|token| is_content(token.word))
        .map(|token| (token.byte_start..token.byte_end, token.word))
        .collect()
}

/// [`STOP_WORDS`] hashed: a linear scan per word made segmenting a material ten times
/// slower than jieba itself, and a binary search still doubled it.
static STOP_SET: LazyLock<HashSet<&'static str, BuildHasherDefault<Fnv>>> =
    LazyLock::new(|| STOP_WORDS.iter().copied().collect());

/// Generic wording that appears in every material and so must not count as shared
/// content.
pub fn is_stop_word(w: &str) -> bool {
    STOP_SET.contains(w)
}

/// FNV-1a: for short keys (a word is 6–12 bytes) several times cheaper than the default
/// SipHash, and the keys here come from a fixed list or from words already bounded by
/// the text, so flooding resistance buys nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Letters, digits and CJK: what a reader sees as the wording, as opposed to
/// punctuation, whitespace and symbols. The common ranges are tested first because the
/// Unicode tables behind `char::is_alphanumeric` cost more than the rest of a check.
pub(crate) fn is_significant(c: char) -> bool {
    match c {
        '\u{4e00}'..='\u{9fff}' | 'a'..='z' | 'A'..='Z' | '0'..='9' => true,
        // Punctuation blocks, without 〇 and 々 (U+3005–3007), which are letters.
        '\0'..='\u{7f}' | '\u{2000}'..='\u{206f}' | '\u{3000}'..='\u{3004}' | '\u{3008}'..='\u{3020}' => false,
        '\u{ff00}'..='\u{ff0f}' => false,
        _ => c.is_alphanumeric(),
    }
}

/// A fixed set of phrases, found in char slices without allocating: the phrases are
/// indexed by first char, and a bit set of first chars rejects most positions at once.
#[derive(Debug)]
pub(crate) struct Phrases {
    phrases: Vec<Vec<char>>,
    /// (first char, phrase index), sorted.
    by_first: Vec<(char, usize)>,
    /// Bit `c % 1024` is set if some phrase starts with a char `c`.
    firsts: [u64; 16],
}

impl Phrases {
    pub(crate) fn new<S: AsRef<str>>(phrases: impl IntoIterator<Item = S>) -> Self {
        let phrases: Vec<Vec<char>> =
            phrases.into_iter().map(|p| p.as_ref().chars().collect::<Vec<char>>()).filter(|p| !p.is_empty()).collect();
        let mut by_first: Vec<(char, usize)> = phrases.iter().enumerate().map(|(i, p)| (p[0], i)).collect();
        by_first.sort_unstable();
        let mut firsts = [0u64; 16];
        for (c, _) in &by_first {
            let bit = u32::from(*c) as usize % 1024;
            firsts[bit / 64] |= 1 << (bit % 64);
        }
        Self { phrases, by_first, firsts }
    }

    pub(crate) fn phrase(&self, index: usize) -> &[char] {
        &self.phrases[index]
    }

    fn may_start(&self, c: char) -> bool {
        let bit = u32::from(c) as usize % 1024;
        self.firsts[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Indices of the phrases that occur in `text` at `at`.
    pub(crate) fn at<'a>(&'a self, text: &'a [char], at: usize) -> impl Iterator<Item = usize> + 'a {
        let first = text.get(at).copied().filter(|c| self.may_start(*c));
        let start = first.map_or(self.by_first.len(), |c| self.by_first.partition_point(|(f, _)| *f < c));
        self.by_first[start..]
            .iter()
            .take_while(move |(f, _)| Some(*f) == first)
            .map(|(_, i)| *i)
            .filter(move |&i| text[at..].starts_with(&self.phrases[i]))
    }

    /// Every occurrence in `text`: (start, phrase index), in text order.
    pub(crate) fn find<'a>(&'a self, text: &'a [char]) -> impl Iterator<Item = (usize, usize)> + 'a {
        // The bit set first: most positions start no phrase, and the flattening
        // iterator costs more than the test.
        (0..text.len())
            .filter(|&at| self.may_start(text[at]))
            .flat_map(move |at| self.at(text, at).map(move |i| (at, i)))
    }

    /// Whether any phrase occurs in `text`.
    pub(crate) fn any_in(&self, text: &[char]) -> bool {
        self.find(text).next().is_some()
    }
}

fn is_content(w: &str) -> bool {
    let mut chars = w.chars();
    // A single char (的, 了, 抓) is too ambiguous to say what a sentence is about.
    if chars.next().is_none() || chars.next().is_none() {
        return false;
    }
    // Digits alone (128, 2021) are facts, not topics; punctuation is nothing.
    w.chars().any(|c| is_significant(c) && !c.is_ascii_digit()) && !is_stop_word(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_cover_the_text() {
        let text = "一是理论学习不深入，存在以会代学的现象。";
        assert_eq!(words(text).concat(), text);
    }

    #[test]
    fn content_words_keep_topics_and_drop_boilerplate() {
        let words = content_words("切实加强理论学习，深入开展调查研究，进一步强化监督管理和意识形态工作。");
        // jieba splits some topics (理论/学习, 调查/研究): what matters is that they survive.
        let kept = words.concat();
        for topic in ["理论学习", "调查研究", "监督管理", "意识形态"] {
            assert!(kept.contains(topic), "{topic} missing from {words:?}");
        }
        for dropped in ["切实", "加强", "深入", "开展", "进一步", "强化", "工作", "和", "，"] {
            assert!(!words.contains(&dropped), "{dropped} kept in {words:?}");
        }
    }

    #[test]
    fn content_words_drop_numbers_and_single_chars() {
        let words = content_words("面积128平米，服务群众，廉洁自律。");
        assert!(!words.contains(&"128"));
        assert!(words.iter().all(|w| w.chars().count() >= 2), "{words:?}");
        assert!(words.iter().any(|w| w.contains("廉洁")), "{words:?}");
        assert!(words.iter().any(|w| w.contains("群众")), "{words:?}");
    }

    #[test]
    fn tokens_know_where_they_are() {
        let text = "理论学习不深入。";
        for (range, word) in content_tokens(text) {
            assert_eq!(&text[range], word);
        }
    }

    #[test]
    fn significance_agrees_with_unicode() {
        for c in "理论学习，不深入。\"Ab9\"（一）、——…《》１２ａ\u{3000}〇々 \n".chars() {
            assert_eq!(is_significant(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn phrases_are_found_where_they_are() {
        let phrases = Phrases::new(["不到位", "不够到位", "差距"]);
        let text: Vec<char> = "监督不够到位，落实不到位。".chars().collect();
        let found: Vec<(usize, String)> =
            phrases.find(&text).map(|(at, i)| (at, phrases.phrase(i).iter().collect())).collect();
        assert_eq!(found, vec![(2, "不够到位".to_owned()), (9, "不到位".to_owned())]);
        assert!(phrases.any_in(&text));
        assert!(!phrases.any_in(&['到', '位']));
    }

    #[test]
    fn stop_list_has_no_duplicates() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), STOP_WORDS.len());
    }

    #[test]
    fn stop_list_is_generic_only() {
        assert!(is_stop_word("加强"));
        assert!(is_stop_word("不够"));
        for topic in ["理论学习", "调查研究", "监督管理", "意识形态", "服务群众", "廉洁", "学习", "群众", "纪律"]
        {
            assert!(!is_stop_word(topic), "{topic}");
        }
    }
}
