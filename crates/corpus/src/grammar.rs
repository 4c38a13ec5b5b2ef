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
    /// 35–98%.
    Percent,
    /// 3月.
    Month,
    /// 3月17日.
    Date,
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
    pub(crate) errors: Vec<String>,
}

/// What a slot needs from the document being written.
#[derive(Debug)]
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
        let compiled = pools
            .iter()
            .map(|(name, templates)| {
                if templates.is_empty() {
                    errors.push(format!("pool {name} is empty"));
                }
                templates
                    .iter()
                    .map(|t| {
                        let mut parser = Parser { src: t, pos: 0, names: &names, errors: &mut errors };
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
            let _ = write!(out, "{}%", rng.range(35, 98));
        }
        Builtin::Month => {
            let _ = write!(out, "{}月", rng.range(1, 12));
        }
        Builtin::Date => {
            let month = rng.range(1, 12);
            let _ = write!(out, "{month}月{}日", rng.range(1, days_in(month)));
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
        "year" => Builtin::Year,
        "prev_year" => Builtin::PrevYear,
        "next_year" => Builtin::NextYear,
        "topic" => Builtin::Topic,
        "notice" => Builtin::Notice,
        "money" => Builtin::Money,
        _ => return None,
    })
}

struct Parser<'a> {
    src: &'static str,
    pos: usize,
    names: &'a HashMap<&'static str, usize>,
    errors: &'a mut Vec<String>,
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
