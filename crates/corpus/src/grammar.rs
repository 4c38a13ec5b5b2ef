//! A tiny template language for the sentence pools, compiled once per process.
//!
//! `[a|b|c]` picks one alternative (alternatives may be empty and may hold slots),
//! `{name}` fills a slot: a built-in (numbers, dates, the document's unit and projects…)
//! or another named pool. Own text is built from many such small choices so that two
//! documents written independently share no long run of characters by accident.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::lexicon;
use crate::rng::Rng;

/// One compiled piece of a template.
#[derive(Debug)]
pub(crate) enum Node {
    Lit(&'static str),
    Alt(Box<[Seq]>),
    Slot(Slot),
}

pub(crate) type Seq = Box<[Node]>;

/// Values that depend on the document or on fresh random numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    /// The author's work unit (青石镇人民政府).
    Unit,
    /// One of the document's projects.
    Project,
    /// A fresh village or community.
    Place,
    /// A fresh colleague's name.
    Person,
    /// 2–9.
    Small,
    /// 10–99.
    Tens,
    /// 100–999.
    Hundreds,
    /// 8–68%: the share of something done, which materials quote when it is low.
    Percent,
    /// 3月.
    Month,
    /// 3月17日.
    Date,
    /// Two months in order: 3月至7月, or 3月到7月.
    Months,
    /// The document's year, the one before and the one after (digits only).
    Year,
    PrevYear,
    NextYear,
    /// The topic of the item being written.
    Topic,
    /// The title of the year's notice.
    Notice,
    /// An amount of money (12.5万元).
    Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Builtin(Builtin),
    Pool(usize),
}

/// All pools, compiled.
#[derive(Debug)]
pub(crate) struct Grammar {
    pools: Vec<Vec<Seq>>,
    names: HashMap<&'static str, usize>,
    /// Problems found while compiling; a unit test keeps this empty.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) errors: Vec<String>,
}

/// What a slot needs from the document being written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub unit: &'a str,
    pub projects: &'a [String],
    pub year: u16,
    pub topic: &'a str,
}

/// Deepest nesting of pools: the pools are not recursive, so this only guards against
/// a mistake in the data turning into a stack overflow.
const MAX_DEPTH: u32 = 8;

impl Grammar {
    /// The grammar of the built-in lexicon, compiled on first use.
    pub(crate) fn get() -> &'static Grammar {
        static GRAMMAR: OnceLock<Grammar> = OnceLock::new();
        GRAMMAR.get_or_init(|| Grammar::compile(lexicon::POOLS))
    }

    pub(crate) fn compile(pools: &[(&'static str, &'static [&'static str])]) -> Self {
        let names: HashMap<&'static str, usize> = pools.iter().enumerate().map(|(i, (name, _))| (*name, i)).collect();
        let mut errors = Vec::new();
        if names.len() != pools.len() {
            errors.push("two pools share a name".to_owned());
        }
        let synonyms = synonym_sets();
        let compiled = pools
            .iter()
            .map(|(name, templates)| {
                if templates.is_empty() {
                    errors.push(format!("pool {name} is empty"));
                }
                templates
                    .iter()
                    .map(|t| {
                        let mut parser =
                            Parser { src: t, pos: 0, names: &names, errors: &mut errors, synonyms: &synonyms };
                        let seq = parser.seq();
                        if parser.pos < t.len() {
                            parser.errors.push(format!("unbalanced ']' or '|' in {t:?}"));
                        }
                        seq
                    })
                    .collect()
            })
            .collect();
        Self { pools: compiled, names, errors }
    }

    pub(crate) fn id(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    pub(crate) fn pool_len(&self, pool: usize) -> usize {
        self.pools.get(pool).map_or(0, Vec::len)
    }

    /// Appends one random template of `pool`, expanded.
    pub(crate) fn expand(&self, pool: usize, ctx: &Context<'_>, rng: &mut Rng, out: &mut String) {
        self.expand_pool(pool, ctx, rng, out, 0);
    }

    /// Appends template `index` of `pool`, expanded.
    pub(crate) fn expand_nth(&self, pool: usize, index: usize, ctx: &Context<'_>, rng: &mut Rng, out: &mut String) {
        if let Some(seq) = self.pools.get(pool).and_then(|p| p.get(index)) {
            self.expand_seq(seq, ctx, rng, out, 0);
        }
    }

    fn expand_pool(&self, pool: usize, ctx: &Context<'_>, rng: &mut Rng, out: &mut String, depth: u32) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(seq) = self.pools.get(pool).and_then(|p| rng.pick(p)) {
            self.expand_seq(seq, ctx, rng, out, depth);
        }
    }

    fn expand_seq(&self, seq: &[Node], ctx: &Context<'_>, rng: &mut Rng, out: &mut String, depth: u32) {
        for node in seq {
            match node {
                Node::Lit(s) => out.push_str(s),
                Node::Alt(alts) => {
                    if let Some(alt) = rng.pick(alts) {
                        self.expand_seq(alt, ctx, rng, out, depth);
                    }
                }
                Node::Slot(Slot::Pool(p)) => self.expand_pool(*p, ctx, rng, out, depth + 1),
                Node::Slot(Slot::Builtin(b)) => builtin(*b, ctx, rng, out),
            }
        }
    }
}

fn builtin(b: Builtin, ctx: &Context<'_>, rng: &mut Rng, out: &mut String) {
    // Writing into a String cannot fail; the results are ignored for that reason.
    match b {
        Builtin::Unit => out.push_str(ctx.unit),
        Builtin::Project => out.push_str(rng.pick(ctx.projects).map_or("这项工作", String::as_str)),
        Builtin::Place => lexicon::entities::place(rng, out),
        Builtin::Person => lexicon::entities::person(rng, out),
        Builtin::Small => {
            let _ = write!(out, "{}", rng.range(2, 9));
        }
        Builtin::Tens => {
            let _ = write!(out, "{}", rng.range(10, 99));
        }
        Builtin::Hundreds => {
            let _ = write!(out, "{}", rng.range(100, 999));
        }
        Builtin::Percent => {
            let _ = write!(out, "{}%", rng.range(8, 68));
        }
        Builtin::Month => {
            let _ = write!(out, "{}月", rng.range(1, 12));
        }
        Builtin::Date => {
            let month = rng.range(1, 12);
            let _ = write!(out, "{month}月{}日", rng.range(1, days_in(month)));
        }
        Builtin::Months => {
            let first = rng.range(1, 11);
            let last = rng.range(first + 1, 12);
            let to = if rng.chance(0.5) { "至" } else { "到" };
            let _ = write!(out, "{first}月{to}{last}月");
        }
        Builtin::Year => {
            let _ = write!(out, "{}", ctx.year);
        }
        Builtin::PrevYear => {
            let _ = write!(out, "{}", ctx.year.saturating_sub(1));
        }
        Builtin::NextYear => {
            let _ = write!(out, "{}", ctx.year.saturating_add(1));
        }
        Builtin::Topic => out.push_str(if ctx.topic.is_empty() { "这方面" } else { ctx.topic }),
        Builtin::Notice => out.push_str(&crate::config::notice_title(ctx.year)),
        Builtin::Money => {
            let tenths = rng.range(5, 9_999);
            let _ = write!(out, "{}.{}万元", tenths / 10, tenths % 10);
        }
    }
}

fn days_in(month: usize) -> usize {
    match month {
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn builtin_named(name: &str) -> Option<Builtin> {
    Some(match name {
        "unit" => Builtin::Unit,
        "proj" => Builtin::Project,
        "place" => Builtin::Place,
        "person" => Builtin::Person,
        "n" => Builtin::Small,
        "n2" => Builtin::Tens,
        "n3" => Builtin::Hundreds,
        "pct" => Builtin::Percent,
        "month" => Builtin::Month,
        "date" => Builtin::Date,
        "months" => Builtin::Months,
        "year" => Builtin::Year,
        "prev_year" => Builtin::PrevYear,
        "next_year" => Builtin::NextYear,
        "topic" => Builtin::Topic,
        "notice" => Builtin::Notice,
        "money" => Builtin::Money,
        _ => return None,
    })
}

/// Largest merged synonym set: beyond this, chains of overlaps join words that do not
/// mean the same.
const MAX_SYNONYMS: usize = 20;

/// Maps each word of the thesaurus to its group, groups that overlap in two or more
/// words merged (up to `MAX_SYNONYMS`).
fn synonym_sets() -> HashMap<&'static str, Vec<&'static str>> {
    let mut sets: Vec<Vec<&'static str>> = lexicon::thesaurus::THESAURUS
        .iter()
        .map(|g| g.split('|').filter(|w| !w.is_empty()).collect::<Vec<_>>())
        .collect();
    let mut merged = true;
    while merged {
        merged = false;
        let mut i = 0;
        while i < sets.len() {
            let mut j = i + 1;
            while j < sets.len() {
                let shared = sets[j].iter().filter(|w| sets[i].contains(w)).count();
                let union = sets[i].len() + sets[j].len() - shared;
                if shared >= 2 && union <= MAX_SYNONYMS {
                    let other = sets.swap_remove(j);
                    for w in other {
                        if !sets[i].contains(&w) {
                            sets[i].push(w);
                        }
                    }
                    merged = true;
                } else {
                    j += 1;
                }
            }
            i += 1;
        }
    }
    let mut map = HashMap::new();
    for set in sets {
        for w in &set {
            map.entry(*w).or_insert_with(|| set.clone());
        }
    }
    map
}

struct Parser<'a> {
    src: &'static str,
    pos: usize,
    names: &'a HashMap<&'static str, usize>,
    errors: &'a mut Vec<String>,
    synonyms: &'a HashMap<&'static str, Vec<&'static str>>,
}

impl Parser<'_> {
    /// Parses up to the end, or up to the `|` or `]` that ends an alternative.
    fn seq(&mut self) -> Seq {
        let mut nodes = Vec::new();
        let mut lit_start = self.pos;
        while let Some(c) = self.src[self.pos..].chars().next() {
            match c {
                // Outside an alternative these are stray; `compile` reports the rest.
                '|' | ']' => break,
                '[' | '{' => {
                    if lit_start < self.pos {
                        nodes.push(Node::Lit(&self.src[lit_start..self.pos]));
                    }
                    self.pos += 1;
                    nodes.push(if c == '[' { self.alt() } else { self.slot() });
                    lit_start = self.pos;
                }
                _ => self.pos += c.len_utf8(),
            }
        }
        if lit_start < self.pos {
            nodes.push(Node::Lit(&self.src[lit_start..self.pos]));
        }
        nodes.into_boxed_slice()
    }

    fn alt(&mut self) -> Node {
        let mut alts = Vec::new();
        loop {
            alts.push(self.seq());
            match self.src[self.pos..].chars().next() {
                Some('|') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    self.errors.push(format!("unclosed '[' in {:?}", self.src));
                    break;
                }
            }
        }
        // An alternation of plain words sharing two or more words with a thesaurus group
        // takes in the whole group: the pools are written with short lists, and the
        // group is what gives each choice enough variety.
        let literal: Option<Vec<&'static str>> = alts
            .iter()
            .map(|a| match &a[..] {
                [Node::Lit(w)] => Some(*w),
                [] => Some(""),
                _ => None,
            })
            .collect();
        if let Some(words) = literal {
            let key = words
                .iter()
                .find_map(|w| self.synonyms.get(w).filter(|set| set.contains(&words[0]) || words.len() > 1));
            if let Some(set) = key.filter(|set| words.iter().filter(|w| set.contains(w)).count() >= 2) {
                let mut merged: Vec<Seq> = alts;
                for w in set {
                    if !words.contains(w) {
                        merged.push(Box::new([Node::Lit(w)]));
                    }
                }
                return Node::Alt(merged.into_boxed_slice());
            }
        }
        Node::Alt(alts.into_boxed_slice())
    }

    fn slot(&mut self) -> Node {
        let start = self.pos;
        let Some(len) = self.src[start..].find('}') else {
            self.errors.push(format!("unclosed '{{' in {:?}", self.src));
            self.pos = self.src.len();
            return Node::Lit(&self.src[start - 1..]);
        };
        let name = &self.src[start..start + len];
        self.pos = start + len + 1;
        if let Some(b) = builtin_named(name) {
            Node::Slot(Slot::Builtin(b))
        } else if let Some(p) = self.names.get(name) {
            Node::Slot(Slot::Pool(*p))
        } else {
            self.errors.push(format!("unknown slot {{{name}}} in {:?}", self.src));
            Node::Lit(&self.src[start - 1..self.pos])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn ctx() -> Context<'static> {
        Context { unit: "青石镇人民政府", projects: &[], year: 2024, topic: "理论学习" }
    }

    #[test]
    fn the_lexicon_compiles_cleanly() {
        let g = Grammar::get();
        assert!(g.errors.is_empty(), "{:#?}", g.errors);
    }

    #[test]
    fn alternatives_slots_and_nesting() {
        const POOLS: &[(&str, &[&str])] = &[("a", &["[甲|乙{b}]{topic}{year}"]), ("b", &["丙"])];
        let g = Grammar::compile(POOLS);
        assert!(g.errors.is_empty(), "{:?}", g.errors);
        let mut rng = Rng::new(0, Stream::Template, 0);
        let mut seen = Vec::new();
        for _ in 0..50 {
            let mut out = String::new();
            g.expand(0, &ctx(), &mut rng, &mut out);
            seen.push(out);
        }
        assert!(seen.iter().all(|s| s == "甲理论学习2024" || s == "乙丙理论学习2024"), "{seen:?}");
        assert!(seen.iter().any(|s| s.starts_with('甲')) && seen.iter().any(|s| s.starts_with('乙')));
    }

    #[test]
    fn mistakes_are_reported_not_panicked_on() {
        const POOLS: &[(&str, &[&str])] = &[("a", &["[甲|乙", "{nope}", "{open", "x]"]), ("e", &[])];
        let g = Grammar::compile(POOLS);
        assert_eq!(g.errors.len(), 5, "{:?}", g.errors);
    }
}

/// How often independent expansions of each template share a 13-character run: the
/// measure the pools are tuned against (see `tests/overlap.rs` for whole documents).
#[cfg(test)]
mod variety {
    use std::collections::HashMap;

    use super::*;
    use crate::lexicon::entities;
    use crate::rng::Stream;

    const K: usize = 13;
    const SAMPLES: usize = 300;

    /// Share of distinct 13-grams of template `index` of `pool` that turn up in more than
    /// one of `SAMPLES` expansions, each with a fresh document context.
    fn shared_share(g: &Grammar, pool: usize, index: usize, topics: usize) -> (f64, String) {
        let mut seen: HashMap<Vec<char>, (usize, usize)> = HashMap::new();
        for s in 0..SAMPLES {
            let mut rng = Rng::new(s as u64, Stream::Template, (pool * 1000 + index) as u64);
            let unit = entities::unit(&mut rng);
            let projects: Vec<String> = (0..4).map(|_| entities::project(&mut rng)).collect();
            let mut topic = String::new();
            g.expand(topics, &Context { unit: "", projects: &[], year: 2024, topic: "" }, &mut rng, &mut topic);
            let ctx = Context { unit: &unit, projects: &projects, year: 2024, topic: &topic };
            let mut out = String::new();
            g.expand_nth(pool, index, &ctx, &mut rng, &mut out);
            let chars: Vec<char> = out.chars().filter(|c| c.is_alphanumeric()).collect();
            let mut own: Vec<Vec<char>> = chars.windows(K).map(<[char]>::to_vec).collect();
            own.sort();
            own.dedup();
            for w in own {
                let e = seen.entry(w).or_insert((s, 0));
                e.1 += 1;
            }
        }
        let shared = seen.values().filter(|(_, n)| *n > 1).count();
        let mut top: Vec<(&Vec<char>, usize)> =
            seen.iter().filter(|(_, (_, n))| *n > 2).map(|(w, (_, n))| (w, *n)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut shown: Vec<String> = Vec::new();
        for (w, n) in top {
            let text: String = w.iter().collect();
            if shown.iter().any(|s| s.chars().filter(|c| text.contains(*c)).count() > 9) {
                continue;
            }
            shown.push(format!("{text}×{n}"));
            if shown.len() == 3 {
                break;
            }
        }
        (shared as f64 / seen.len().max(1) as f64, shown.join(" "))
    }

    const SENTENCE_POOLS: &[&str] = &[
        "sym_study",
        "sym_politics",
        "sym_masses",
        "sym_work",
        "sym_discipline",
        "sym_style",
        "sym_org",
        "sym_life",
        "sym_generic",
        "detail",
        "consequence",
        "open_notice",
        "open_talk",
        "open_check",
        "open_lead",
        "cause_body",
        "measure_body",
        "matters",
        "headline",
        "cause_head",
        "measure_head",
    ];

    /// Prints every template's share, worst first:
    /// `cargo test -p mingjing-corpus --release -- --ignored --nocapture variety_report`.
    #[test]
    #[ignore = "a report for tuning the pools, not a check"]
    #[allow(clippy::print_stdout)]
    fn variety_report() {
        let g = Grammar::get();
        let topics = g.id("topic_work").unwrap_or(usize::MAX);
        let mut rows = Vec::new();
        for name in SENTENCE_POOLS {
            let pool = g.id(name).unwrap_or(usize::MAX);
            for index in 0..g.pool_len(pool) {
                let (share, worst) = shared_share(g, pool, index, topics);
                rows.push((share, format!("{name}[{index}]"), worst));
            }
        }
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (share, name, worst) in rows {
            println!("{:7.3}%  {name:18} {worst}", share * 100.0);
        }
    }
}

#[cfg(test)]
mod synonym_dump {
    /// Prints the merged synonym groups: `cargo test -p mingjing-corpus -- --ignored --nocapture synonym_groups`.
    #[test]
    #[ignore = "a report for checking the merged groups"]
    #[allow(clippy::print_stdout)]
    fn synonym_groups() {
        let map = super::synonym_sets();
        let mut groups: Vec<Vec<&str>> = map.values().cloned().collect();
        groups.sort();
        groups.dedup();
        for g in groups {
            println!("{}", g.join("|"));
        }
    }
}
