//! Finding copies of a material in the index: candidate documents by shared
//! fingerprints, then, against each candidate's text, maximal exact runs (tier `exact`)
//! and, for clauses no exact run explains, near-duplicate clauses by char-bigram overlap
//! (tier `near`: a few chars changed, synonyms swapped, clauses reordered).

use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::fingerprint::{Fingerprint, kgram_hashes};
use super::index::{DocId, DocKind, Index, short};
use super::postings::Run;
use super::skeleton::Skeleton;
use super::{CopyOptions, Querier, SourceDoc, SourceTexts};

/// Which tier of matching found a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Exact,
    Near,
}

/// A copied piece: skeleton ranges in the material and in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub query: Range<usize>,
    pub source: DocId,
    pub source_range: Range<usize>,
    pub tier: Tier,
    pub similarity: f32,
}

/// Copies from others, and from the same author's earlier years, apart.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub copies: Vec<Match>,
    pub previous_year: Vec<Match>,
    /// The sources that were compared, for mapping source ranges back.
    pub sources: FxHashMap<DocId, Arc<SourceDoc>>,
}

/// How a candidate relates to the material under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Other,
    OwnPreviousYear,
    Own,
}

/// The material under review as the index knows it: its own document and author numbers,
/// looked up once so that the scan of postings compares integers only.
#[derive(Debug, Clone, Copy)]
struct Me {
    doc: Option<DocId>,
    author: Option<u32>,
}

impl Me {
    fn new(index: &Index, me: &Querier<'_>) -> Self {
        Self { doc: me.id.and_then(|id| index.doc_id(id)), author: me.author.and_then(|a| index.author_id(a)) }
    }

    fn relation(self, index: &Index, doc: DocId) -> Relation {
        let info = index.info(doc);
        if info.removed || self.doc == Some(doc) {
            return Relation::Own;
        }
        let mine = self.author.is_some_and(|a| a == info.author);
        match (mine, info.kind) {
            (false, _) => Relation::Other,
            (true, DocKind::PreviousYear) => Relation::OwnPreviousYear,
            // The same author's other versions this year are drafts of the same material.
            (true, _) => Relation::Own,
        }
    }
}

/// Candidate documents ranked by shared fingerprints; the same author's earlier years
/// apart.
fn candidates(index: &Index, looked: &Looked, me: &Querier<'_>, options: &CopyOptions) -> (Vec<DocId>, Vec<DocId>) {
    let me = Me::new(index, me);
    let common = options.candidate_df(index.len());
    let own_earlier = me.author.map_or(&[][..], |a| index.earlier_of(a));
    SCORES.with_borrow_mut(|scores| {
        scores.reset(index.doc_count());
        // Rare fingerprints weigh more: a source that shares one uncommon passage must rank
        // above documents that share only 套话 of middling frequency. Every document posted is scored, the
        // material's own among them; who wrote what is asked only of the few thousand scored, not of every posting.
        for (&hash, &run) in looked.hashes.iter().zip(&looked.runs) {
            let (sorted, pending) = (index.postings_in(run), index.pending_of(hash));
            let df = sorted.len() + pending.len();
            let weight = 1.0 / df as f32;
            if df <= common {
                sorted.iter().chain(pending.iter().copied()).for_each(|doc| scores.add(doc, weight));
                continue;
            }
            // A fingerprint in many documents says nothing about who copied from whom, except from a template or
            // from one's own earlier material: look only there, the latter by looking up the few of one's own.
            index.templates_posted(hash).for_each(|doc| scores.add(doc, weight));
            // A run is in document order, so each of one's own is a binary search in it.
            let posted = |doc: &DocId| sorted.contains(*doc) || pending.contains(doc);
            own_earlier.iter().filter(|doc| posted(doc)).for_each(|&doc| scores.add(doc, weight));
        }
        scores.ranked(options.max_candidates, own_earlier, |doc| me.relation(index, doc))
    })
}

/// A material's distinct fingerprint hashes, sorted, and where the index keeps each one's postings: looked up once
/// for candidate selection and the 套话 counts alike, as the lookups are the part that grows with the index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Looked {
    pub(crate) hashes: Vec<u32>,
    pub(crate) runs: Vec<Run>,
}

impl Looked {
    pub(crate) fn new(index: &Index, fps: &[Fingerprint]) -> Self {
        let mut hashes: Vec<u32> = fps.iter().map(|f| short(f.hash)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let runs = index.lookup_many(&hashes);
        Self { hashes, runs }
    }

    /// The index of a hash in `hashes`.
    pub(crate) fn position(&self, hash: u32) -> Option<usize> {
        self.hashes.binary_search(&hash).ok()
    }
}

thread_local! {
    /// Each thread's score table, kept between reviews: a fresh one per review would cost more than the review's
    /// scan of the postings (a page fault per 4 KiB of a table of every document in the index).
    static SCORES: std::cell::RefCell<Scores> = std::cell::RefCell::default();
}

/// Scores of the documents a review's fingerprints point to, in a table with a slot per document of the index:
/// adding to a slot is one memory access, where a hash map of the candidates cost several.
#[derive(Debug, Default)]
struct Scores {
    score: Vec<f32>,
    /// `touched[..count]`: documents with a non-zero score, so that ranking and clearing visit only them. Sized to
    /// the table, so that `add` writes its document unconditionally and counts it only if new: whether a document
    /// is new is a coin toss, and a branch on it mispredicted about every third posting.
    touched: Vec<DocId>,
    count: usize,
}

impl Scores {
    fn touched(&self) -> &[DocId] {
        &self.touched[..self.count]
    }

    fn reset(&mut self, docs: usize) {
        for &doc in &self.touched[..self.count] {
            self.score[doc as usize] = 0.0;
        }
        self.count = 0;
        if self.score.len() < docs {
            self.score.resize(docs, 0.0);
            // One more than the documents: a document already counted is still written, one place past the last.
            self.touched.resize(docs + 1, 0);
        }
    }

    fn add(&mut self, doc: DocId, weight: f32) {
        let slot = &mut self.score[doc as usize];
        let new = usize::from(*slot == 0.0);
        *slot += weight;
        self.touched[self.count] = doc;
        self.count += new;
    }

    /// The best `max` of others' documents, best first (ties by document number), and the same author's earlier
    /// years (`own_earlier`, those scored) apart, in document order. Who wrote a document is asked only of the
    /// best few: the material's own documents (itself, its drafts) are few, so a small margin over `max` nearly
    /// always leaves `max` of others', and the search widens when it does not.
    fn ranked(
        &self,
        max: usize,
        own_earlier: &[DocId],
        relation: impl Fn(DocId) -> Relation,
    ) -> (Vec<DocId>, Vec<DocId>) {
        let mut take = max + 8;
        let mut best = self.best(take);
        let mut others: Vec<DocId> = Vec::new();
        loop {
            others.clear();
            others.extend(best.iter().copied().filter(|d| relation(*d) == Relation::Other).take(max));
            if others.len() >= max || best.len() == self.count {
                break;
            }
            take *= 4;
            best = self.best(take);
        }
        let mut previous: Vec<DocId> = own_earlier
            .iter()
            .copied()
            .filter(|&d| self.score[d as usize] > 0.0 && relation(d) == Relation::OwnPreviousYear)
            .collect();
        previous.sort_unstable();
        previous.dedup();
        (others, previous)
    }

    /// The `n` best scored documents, best first (ties by document number). A heap of the best so far, its worst on
    /// top, turns most documents away with one comparison; selecting among all of them moved every one.
    fn best(&self, n: usize) -> Vec<DocId> {
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(n);
        for &doc in self.touched() {
            let entry = Ranked(doc, self.score[doc as usize]);
            if heap.len() < n {
                heap.push(entry);
            } else if let Some(mut worst) = heap.peek_mut() {
                if entry < *worst {
                    *worst = entry;
                }
            }
        }
        heap.into_sorted_vec().into_iter().map(|Ranked(doc, _)| doc).collect()
    }
}

/// A scored document, ordered best first: higher score, then lower document number. The order is total, so the
/// best `n` are the same however the documents come.
#[derive(Debug, Clone, Copy)]
struct Ranked(DocId, f32);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.1.total_cmp(&self.1).then(self.0.cmp(&other.0))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked {}

/// Candidate retrieval alone, the first step of [`find`]: the documents sharing fingerprints with a text of these
/// significant chars (a skeleton's, or [`super::significant_chars`] of a raw text), best first, and the same
/// author's earlier years. It answers what a MinHash-LSH query answers, so the benchmark times it beside one.
pub fn candidate_sources(
    index: &Index,
    chars: &[char],
    me: &Querier<'_>,
    options: &CopyOptions,
) -> (Vec<DocId>, Vec<DocId>) {
    let fps = super::fingerprint::fingerprints(chars, index.params().k, index.params().w);
    candidates(index, &Looked::new(index, &fps), me, options)
}

/// Finds the copies in a material, given its k-gram hashes and its fingerprints looked up.
pub(crate) fn find(
    index: &Index,
    texts: &dyn SourceTexts,
    query: &Skeleton,
    (query_hashes, looked): (&[u64], &Looked),
    clauses: &[Range<usize>],
    me: &Querier<'_>,
    options: &CopyOptions,
) -> Found {
    let k = index.params().k;
    let (others, previous) = candidates(index, looked, me, options);
    let positions = Positions::new(query_hashes);
    let mut found = Found::default();
    for doc in others.iter().chain(&previous) {
        if let Some(source) = texts.source(&index.doc(*doc).id) {
            found.sources.insert(*doc, source);
        }
    }
    let compare = |docs: &[DocId]| -> Vec<Match> {
        let mut runs = Vec::new();
        for &doc in docs {
            if let Some(source) = found.sources.get(&doc) {
                runs.extend(exact_runs(query, &positions, k, doc, &source.skeleton, options.min_exact));
            }
        }
        let mut matches = paint(query.len(), runs);
        let near_docs: Vec<(DocId, &SourceDoc)> = docs
            .iter()
            .take(options.near_candidates)
            .filter_map(|d| found.sources.get(d).map(|s| (*d, s.as_ref())))
            .collect();
        matches.extend(near_clauses(query, clauses, &matches, &near_docs, options));
        matches.sort_by_key(|m| m.query.start);
        matches
    };
    found.copies = compare(&others);
    found.previous_year = compare(&previous);
    found
}

/// Where each k-gram hash of the material stands: the first position per hash and a
/// chain to the next, so that no hash needs an allocation of its own.
struct Positions {
    first: FxHashMap<u64, u32>,
    next: Vec<u32>,
    /// A bit per value of a hash's top bits, set for the material's hashes: most k-grams of a source are not in
    /// the material, and this answers so from 8 KiB in cache before any map lookup.
    seen: HashBits,
}

impl Positions {
    const END: u32 = u32::MAX;

    fn new(hashes: &[u64]) -> Self {
        let mut first: FxHashMap<u64, u32> = FxHashMap::default();
        first.reserve(hashes.len());
        let mut next = vec![Self::END; hashes.len()];
        let mut seen = HashBits::default();
        // Walked backwards, each position is linked in front of the later ones, so a
        // chain lists positions in text order.
        for (i, h) in hashes.iter().enumerate().rev() {
            seen.insert(*h);
            if let Some(later) = first.insert(*h, i as u32) {
                next[i] = later;
            }
        }
        Self { first, next, seen }
    }

    fn of(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        let found = if self.seen.may_contain(hash) { self.first.get(&hash).copied() } else { None };
        let mut at = found.unwrap_or(Self::END);
        std::iter::from_fn(move || {
            (at != Self::END).then(|| {
                let here = at as usize;
                at = self.next[here];
                here
            })
        })
    }
}

/// A one-hash Bloom filter of 2^16 bits over well-mixed 64-bit values (k-gram hashes, bigram keys): with a few
/// thousand values in it, nineteen lookups in twenty of absent values stop here.
#[derive(Debug, Clone)]
struct HashBits(Box<[u64; 1024]>);

impl Default for HashBits {
    fn default() -> Self {
        Self(Box::new([0; 1024]))
    }
}

impl HashBits {
    fn slot(value: u64) -> (usize, u64) {
        let bit = (value >> 48) as usize;
        (bit >> 6, 1 << (bit & 63))
    }

    fn insert(&mut self, value: u64) {
        let (word, mask) = Self::slot(value);
        self.0[word] |= mask;
    }

    fn may_contain(&self, value: u64) -> bool {
        let (word, mask) = Self::slot(value);
        self.0[word] & mask != 0
    }
}

/// Maximal runs of equal significant chars between the material and one source, seeded
/// by equal k-gram hashes and checked char by char (hash collisions drop out here).
fn exact_runs(
    query: &Skeleton,
    positions: &Positions,
    k: usize,
    doc: DocId,
    source: &Skeleton,
    min_len: usize,
) -> Vec<Match> {
    let (q, s) = (&query.chars, &source.chars);
    let mut covered: FxHashMap<isize, usize> = FxHashMap::default();
    let mut runs = Vec::new();
    for (j, h) in kgram_hashes(s, k).into_iter().enumerate() {
        for i in positions.of(h) {
            let diagonal = j as isize - i as isize;
            if covered.get(&diagonal).is_some_and(|&end| end > i) || q[i..i + k] != s[j..j + k] {
                continue;
            }
            let at = |p: usize| (p as isize + diagonal) as usize;
            let (mut a, mut b) = (i, i + k);
            while a > 0 && a as isize + diagonal > 0 && q[a - 1] == s[at(a - 1)] {
                a -= 1;
            }
            while b < q.len() && at(b) < s.len() && q[b] == s[at(b)] {
                b += 1;
            }
            covered.insert(diagonal, b);
            // A copied passage does not run on into the next heading: cut the run where
            // either text starts a new paragraph, and keep the pieces long enough.
            let mut piece = a;
            for p in a + 1..=b {
                let cut = p == b || query.para[p] != query.para[p - 1] || source.para[at(p)] != source.para[at(p - 1)];
                if cut {
                    let (start, end) = trim_markers(q, piece, p);
                    if end - start >= min_len {
                        let source_range = at(start)..at(end);
                        runs.push(Match {
                            query: start..end,
                            source: doc,
                            source_range,
                            tier: Tier::Exact,
                            similarity: 1.0,
                        });
                    }
                    piece = p;
                }
            }
        }
    }
    runs
}

/// Chinese numerals that open an enumerator (一是, 二是…).
fn is_numeral(c: char) -> bool {
    matches!(c, '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十')
}

/// Drops the halves of enumerators a run picks up at its ends: 二是 and 一是 share 是,
/// and the 三 of a following 三是 often matches; neither is copied text.
fn trim_markers(q: &[char], mut a: usize, mut b: usize) -> (usize, usize) {
    if a < b && q[a] == '是' && a > 0 && is_numeral(q[a - 1]) {
        a += 1;
    } else if a + 1 < b && is_numeral(q[a]) && q[a + 1] == '是' {
        a += 2;
    }
    if a < b && is_numeral(q[b - 1]) && q.get(b) == Some(&'是') {
        b -= 1;
    }
    (a, b)
}

/// Pieces of a run shorter than this, left over once longer runs took their share, are
/// dropped: they are boundary crumbs, not copies.
const MIN_PIECE: usize = 5;

/// Gives every copied position to the longest run covering it and cuts the runs into
/// the pieces they keep.
fn paint(len: usize, mut runs: Vec<Match>) -> Vec<Match> {
    runs.sort_by(|a, b| {
        b.query.len().cmp(&a.query.len()).then(a.query.start.cmp(&b.query.start)).then(a.source.cmp(&b.source))
    });
    let mut owner: Vec<u32> = vec![u32::MAX; len];
    for (n, run) in runs.iter().enumerate() {
        for slot in &mut owner[run.query.clone()] {
            if *slot == u32::MAX {
                *slot = n as u32;
            }
        }
    }
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < len {
        let n = owner[i];
        let start = i;
        while i < len && owner[i] == n {
            i += 1;
        }
        if n == u32::MAX || i - start < MIN_PIECE {
            continue;
        }
        let run = &runs[n as usize];
        let offset = run.source_range.start as isize - run.query.start as isize;
        let source_range = (start as isize + offset) as usize..(i as isize + offset) as usize;
        pieces.push(Match { query: start..i, source_range, ..run.clone() });
    }
    pieces
}

type Bigram = u64;

/// A bigram's bits mixed, so that its top bits (two chars' high bits, nearly constant in Chinese) can key a
/// [`HashBits`].
fn spread(g: Bigram) -> u64 {
    g.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn bigram(first: char, second: char) -> Bigram {
    (u64::from(first) << 32) | u64::from(second)
}

fn bigrams(chars: &[char]) -> Vec<Bigram> {
    let mut out: Vec<Bigram> = chars.windows(2).map(|w| bigram(w[0], w[1])).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Clause ranges (skeleton) of a source, as the material's are cut.
fn source_clauses(source: &SourceDoc) -> Vec<Range<usize>> {
    super::clauses(&source.text, &source.skeleton)
}

/// Near-duplicate clauses: for each clause of the material that exact runs leave mostly
/// unexplained, the source clause with the highest Dice overlap of char bigrams.
fn near_clauses(
    query: &Skeleton,
    clauses: &[Range<usize>],
    exact: &[Match],
    docs: &[(DocId, &SourceDoc)],
    options: &CopyOptions,
) -> Vec<Match> {
    let mut copied = vec![false; query.len()];
    for m in exact {
        copied[m.query.clone()].iter_mut().for_each(|c| *c = true);
    }
    let open: Vec<&Range<usize>> = clauses
        .iter()
        .filter(|c| c.len() >= options.min_clause && copied[(*c).clone()].iter().filter(|x| **x).count() * 2 < c.len())
        .collect();
    if open.is_empty() || docs.is_empty() {
        return Vec::new();
    }
    let open_grams: Vec<Vec<Bigram>> = open.iter().map(|c| bigrams(&query.chars[(*c).clone()])).collect();
    let grams = OpenGrams::new(&open_grams);
    let mut best: Vec<Option<Best>> = vec![None; open.len()];
    let mut shared = Shared::new(open.len(), grams.len());
    // Source clauses are numbered as they are met, so that a bigram twice in one clause counts once. Of equally
    // similar clauses the first met is kept, as only a strictly better one replaces it.
    let mut target = 0u32;
    for &(doc, source) in docs {
        for clause in source_clauses(source) {
            if clause.len() < options.min_clause {
                continue;
            }
            let chars = &source.skeleton.chars[clause.clone()];
            shared.count(chars, target, &grams);
            let mut size = None;
            for (c, n) in shared.drain() {
                let a = open_grams[c].len();
                // A clause cannot have fewer distinct bigrams than it shares, so this bounds the similarity from
                // above, and most pairs stop here before their bigrams are counted.
                if dice(n, a, n) < options.near_threshold {
                    continue;
                }
                let similarity = dice(n, a, *size.get_or_insert_with(|| bigrams(chars).len()));
                let better = best[c].as_ref().is_none_or(|b| similarity > b.similarity);
                if similarity >= options.near_threshold && better {
                    best[c] = Some(Best { doc, range: clause.clone(), similarity });
                }
            }
            target += 1;
        }
    }
    open.into_iter()
        .zip(best)
        .filter_map(|(clause, best)| {
            let b = best?;
            Some(Match {
                query: clause.clone(),
                source: b.doc,
                source_range: b.range,
                tier: Tier::Near,
                similarity: b.similarity,
            })
        })
        .collect()
}

/// The Dice overlap of two clauses with `a` and `b` distinct bigrams, `shared` of them in common.
fn dice(shared: usize, a: usize, b: usize) -> f32 {
    2.0 * shared as f32 / (a + b) as f32
}

/// The most similar source clause found so far for one open clause.
#[derive(Debug, Clone)]
struct Best {
    doc: DocId,
    range: Range<usize>,
    similarity: f32,
}

/// The distinct bigrams of the open clauses, each with the open clauses that have it. The sources' clauses are
/// many and the open clauses few, so the few are indexed and each source clause is read once against them, with
/// no sorting of the sources' bigrams.
struct OpenGrams {
    /// A bigram's number.
    ids: FxHashMap<Bigram, u32>,
    /// `holders[starts[id]..starts[id + 1]]` are the open clauses that have bigram `id`.
    starts: Vec<u32>,
    holders: Vec<u32>,
    /// Most bigrams of a source are in no open clause; this answers so before the map is asked.
    seen: HashBits,
}

impl OpenGrams {
    fn new(open_grams: &[Vec<Bigram>]) -> Self {
        let mut pairs: Vec<(Bigram, u32)> =
            (0u32..).zip(open_grams).flat_map(|(c, grams)| grams.iter().map(move |g| (*g, c))).collect();
        pairs.sort_unstable();
        let mut ids = FxHashMap::default();
        let mut starts = Vec::new();
        let mut seen = HashBits::default();
        for (at, (g, _)) in pairs.iter().enumerate() {
            if at == 0 || pairs[at - 1].0 != *g {
                ids.insert(*g, starts.len() as u32);
                starts.push(at as u32);
                seen.insert(spread(*g));
            }
        }
        starts.push(pairs.len() as u32);
        Self { ids, starts, holders: pairs.into_iter().map(|(_, c)| c).collect(), seen }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn id(&self, g: Bigram) -> Option<u32> {
        if self.seen.may_contain(spread(g)) { self.ids.get(&g).copied() } else { None }
    }

    fn holders(&self, id: u32) -> &[u32] {
        &self.holders[self.starts[id as usize] as usize..self.starts[id as usize + 1] as usize]
    }
}

/// Per open clause, the distinct bigrams it shares with the source clause being read.
struct Shared {
    count: Vec<u32>,
    touched: Vec<u32>,
    /// Per open bigram, the source clause (numbered from 1) that last counted it: a bigram twice in one clause
    /// counts once.
    stamp: Vec<u32>,
}

impl Shared {
    fn new(open: usize, grams: usize) -> Self {
        Self { count: vec![0; open], touched: Vec::new(), stamp: vec![0; grams] }
    }

    fn count(&mut self, chars: &[char], target: u32, grams: &OpenGrams) {
        for w in chars.windows(2) {
            let Some(id) = grams.id(bigram(w[0], w[1])) else { continue };
            if std::mem::replace(&mut self.stamp[id as usize], target + 1) == target + 1 {
                continue;
            }
            for &c in grams.holders(id) {
                if self.count[c as usize] == 0 {
                    self.touched.push(c);
                }
                self.count[c as usize] += 1;
            }
        }
    }

    /// The open clauses counted, with their counts, leaving every count at zero.
    fn drain(&mut self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let count = &mut self.count;
        self.touched.drain(..).map(move |c| (c as usize, std::mem::take(&mut count[c as usize]) as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::NormText;
    use crate::{Source, copy::clauses};

    fn doc(text: &str) -> SourceDoc {
        SourceDoc::new(NormText::new(&Source::from_text(text).expect("text")))
    }

    /// Every open clause against every source clause, the most similar kept (the first of equals).
    fn near_by_brute_force(query: &SourceDoc, docs: &[(DocId, &SourceDoc)], options: &CopyOptions) -> Vec<Match> {
        let mut out = Vec::new();
        for clause in clauses(&query.text, &query.skeleton).into_iter().filter(|c| c.len() >= options.min_clause) {
            let a = bigrams(&query.skeleton.chars[clause.clone()]);
            let mut best: Option<Match> = None;
            for &(doc, source) in docs {
                for range in source_clauses(source).into_iter().filter(|c| c.len() >= options.min_clause) {
                    let b = bigrams(&source.skeleton.chars[range.clone()]);
                    let similarity = dice(a.iter().filter(|g| b.binary_search(g).is_ok()).count(), a.len(), b.len());
                    if best.as_ref().is_none_or(|m| similarity > m.similarity) {
                        let query = clause.clone();
                        best = Some(Match { query, source: doc, source_range: range, tier: Tier::Near, similarity });
                    }
                }
            }
            out.extend(best.filter(|m| m.similarity >= options.near_threshold));
        }
        out
    }

    /// Clauses of six chars, which share bigrams everywhere, repeat them and tie often.
    fn text(clauses: &[Vec<usize>]) -> String {
        const CHARS: [char; 6] = ['党', '员', '学', '习', '问', '题'];
        let clause = |c: &Vec<usize>| c.iter().map(|&i| CHARS[i % CHARS.len()]).collect::<String>();
        clauses.iter().map(clause).collect::<Vec<_>>().join("，") + "。"
    }

    fn clause_lists() -> impl proptest::strategy::Strategy<Value = Vec<Vec<usize>>> {
        proptest::collection::vec(proptest::collection::vec(0usize..6, 4..16), 1..12)
    }

    #[test]
    fn own_drafts_ranked_above_every_colleague_do_not_crowd_colleagues_out() {
        const MINE: &str = "在推进全县政务服务体系建设中对窗口人员的日常管理思考不深措施不多常规性地以稳字当头对基层党建工作的指导督促还不够经常";
        let chars = |t: &str| t.chars().collect::<Vec<_>>();
        let mut index = Index::default();
        // A dozen drafts of the material itself share all of it; colleagues share less and less of it.
        for n in 0..12 {
            index.add(&format!("draft-{n}"), Some("张"), DocKind::Member, &Skeleton::from_chars(&chars(MINE))).ok();
        }
        for (n, len) in [60, 50, 40].into_iter().enumerate() {
            let text: String =
                MINE.chars().take(len).chain("深入调研少发现问题和解决问题的能力有待提高".chars()).collect();
            index
                .add(
                    &format!("colleague-{n}"),
                    Some(&format!("李{n}")),
                    DocKind::Member,
                    &Skeleton::from_chars(&chars(&text)),
                )
                .ok();
        }
        index.merge();
        let options = CopyOptions { max_candidates: 2, ..CopyOptions::default() };
        let me = Querier { id: Some("draft-0"), author: Some("张") };
        let (others, previous) = candidate_sources(&index, &chars(MINE), &me, &options);
        let ids: Vec<&str> = others.iter().map(|d| index.doc(*d).id.as_str()).collect();
        assert_eq!(ids, ["colleague-0", "colleague-1"]);
        assert!(previous.is_empty());
    }

    proptest::proptest! {
        /// The indexed search of near clauses finds what comparing every pair finds, ties included.
        #[test]
        fn near_clauses_equal_a_comparison_of_every_pair(
            query in clause_lists(),
            sources in proptest::collection::vec(clause_lists(), 0..4),
        ) {
            let options = CopyOptions::default();
            let query = doc(&text(&query));
            let sources: Vec<SourceDoc> = sources.iter().map(|s| doc(&text(s))).collect();
            // The first source twice, so that equally similar clauses of different documents tie.
            let docs: Vec<(DocId, &SourceDoc)> = (0..).zip(sources.iter().chain(sources.first())).collect();
            let clauses = clauses(&query.text, &query.skeleton);
            let found = near_clauses(&query.skeleton, &clauses, &[], &docs, &options);
            proptest::prop_assert_eq!(found, near_by_brute_force(&query, &docs, &options));
        }

        /// The heap keeps the same best documents, in the same order, as sorting every scored one; tied scores and
        /// documents added many times included.
        #[test]
        fn best_documents_equal_a_sort_of_all(
            postings in proptest::collection::vec((0u32..300, 1u8..4), 0..600),
            n in 1usize..40,
        ) {
            let mut scores = Scores::default();
            scores.reset(300);
            for &(doc, weight) in &postings {
                scores.add(doc, f32::from(weight) / 4.0);
            }
            let mut all: Vec<DocId> = postings.iter().map(|(doc, _)| *doc).collect();
            all.sort_unstable();
            all.dedup();
            proptest::prop_assert_eq!(scores.touched().len(), all.len());
            all.sort_by(|a, b| Ranked(*a, scores.score[*a as usize]).cmp(&Ranked(*b, scores.score[*b as usize])));
            all.truncate(n);
            proptest::prop_assert_eq!(scores.best(n), all);
            // Cleared for the next review: nothing left scored.
            scores.reset(300);
            proptest::prop_assert!(scores.score.iter().all(|s| *s == 0.0));
        }
    }
}
