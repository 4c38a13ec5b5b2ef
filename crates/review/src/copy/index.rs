//! The reference index: for every document added (colleagues' materials, earlier years'
//! materials, known templates), the winnowed fingerprints of its skeleton, as sorted
//! postings `hash → documents`. Adding a document is incremental: its postings wait in
//! a small map until enough have gathered to merge them into the sorted arrays.
//! Document texts are not kept here; [`super::SourceTexts`] supplies them on demand, so
//! the index stays smaller than the corpus and a database can hold the texts.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use super::fingerprint::fingerprints;
use super::postings::{LONG_MARK, Postings, Run, Sorted};
use super::skeleton::Skeleton;

/// Dense internal number of a document in one index.
pub type DocId = u32;

/// What a reference document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A material of the same campaign.
    Member,
    /// A material of an earlier campaign.
    PreviousYear,
    /// A known online template.
    Template,
}

impl DocKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Member => 0,
            Self::PreviousYear => 1,
            Self::Template => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        [Self::Member, Self::PreviousYear, Self::Template].into_iter().find(|k| k.code() == code)
    }
}

/// Winnowing parameters: k-gram length and window. Any shared run of `k + w - 1`
/// significant chars is guaranteed to be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub k: usize,
    pub w: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self { k: 13, w: 8 }
    }
}

/// A reference document's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMeta {
    /// The caller's id (a file path, a material id).
    pub id: String,
    /// Interned author, if known.
    pub author: Option<u32>,
    pub kind: DocKind,
    /// Skeleton length, for shares.
    pub chars: u32,
    /// Replaced or removed; its postings go at the next merge.
    pub removed: bool,
}

/// What candidate selection needs of a document, in 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocInfo {
    /// Interned author, or `u32::MAX`.
    pub author: u32,
    pub kind: DocKind,
    pub removed: bool,
}

/// Document numbers stay below the mark that a posting slot uses to point to a long run.
pub(crate) const MAX_DOCS: usize = LONG_MARK as usize - 1;

/// Hashes with at least this many documents get their distinct-author count kept.
const COMMON_DF: usize = 3;

/// Why an index could not be changed or loaded. `Display` is for users, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("索引文件不是明镜的索引，或已损坏")]
    NotAnIndex,
    #[error(
        "索引文件由另一版本的明镜生成（格式版本 {found}，当前版本 {expected}），请用 mingjing index build 重新生成"
    )]
    Version { found: u32, expected: u32 },
    #[error("索引文件不完整或已损坏：{0}")]
    Corrupt(String),
    #[error("索引中的文档太多（上限 {0} 份）")]
    Full(usize),
}

/// The reference index.
#[derive(Debug, Clone)]
pub struct Index {
    pub(crate) params: Params,
    pub(crate) docs: Vec<DocMeta>,
    pub(crate) by_id: HashMap<String, DocId>,
    pub(crate) authors: Vec<String>,
    pub(crate) author_ids: HashMap<String, u32>,
    /// The merged postings, sorted by hash, then document.
    pub(crate) sorted: Sorted,
    /// Distinct authors per common hash in the sorted postings.
    pub(crate) common_authors: FxHashMap<u32, u32>,
    /// Per document, what candidate selection asks of every posting, packed so that a
    /// scan of long posting lists stays in cache.
    pub(crate) info: Vec<DocInfo>,
    /// Postings of templates only, in document order: for fingerprints too common to scan whole, a template is
    /// still worth finding.
    pub(crate) templates: Posted,
    /// Each author's earlier-year materials, so that a common fingerprint is looked up in the few of the author's
    /// own instead of walking everyone's.
    pub(crate) earlier_of_author: FxHashMap<u32, Vec<DocId>>,
    pending: HashMap<u32, Vec<DocId>>,
    pending_count: usize,
}

/// The fingerprint hashes of a skeleton as the index stores them: 32 bits, each once.
pub fn document_hashes(skeleton: &Skeleton, params: Params) -> Vec<u32> {
    chars_hashes(&skeleton.chars, params)
}

/// The same from significant chars alone (see [`super::significant_chars`]), for callers that index a text
/// without reviewing it.
pub fn chars_hashes(chars: &[char], params: Params) -> Vec<u32> {
    let mut hashes: Vec<u32> = fingerprints(chars, params.k, params.w).iter().map(|f| short(f.hash)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// The 32 bits of a fingerprint the index keeps; a rare collision only adds a candidate
/// that verification against the text then drops. Winnowing keeps the smallest hash of each window, so fingerprints
/// crowd towards zero; mixed once more, they spread evenly again, which the layout of the postings relies on (each
/// run stands near the place its hash points to in proportion).
pub fn short(hash: u64) -> u32 {
    (super::fingerprint::remix(hash) >> 32) as u32
}

/// The postings of templates kept apart from the rest, laid out as the index's own, and a small map for what was
/// added since.
#[derive(Debug, Clone, Default)]
pub(crate) struct Posted {
    merged: Sorted,
    pending: FxHashMap<u32, Vec<DocId>>,
}

impl Posted {
    fn add(&mut self, hash: u32, doc: DocId) {
        self.pending.entry(hash).or_default().push(doc);
    }

    /// The documents under `hash`: the merged ones in document order, then those added since.
    fn get(&self, hash: u32) -> impl Iterator<Item = DocId> + '_ {
        let pending = self.pending.get(&hash).map_or(&[][..], Vec::as_slice);
        self.merged.postings(self.merged.run(hash)).iter().chain(pending.iter().copied())
    }
}

impl Default for Index {
    fn default() -> Self {
        Self::new(Params::default())
    }
}

impl Index {
    pub fn new(params: Params) -> Self {
        Self {
            params,
            docs: Vec::new(),
            by_id: HashMap::new(),
            authors: Vec::new(),
            author_ids: HashMap::new(),
            sorted: Sorted::default(),
            common_authors: FxHashMap::default(),
            info: Vec::new(),
            templates: Posted::default(),
            earlier_of_author: FxHashMap::default(),
            pending: HashMap::new(),
            pending_count: 0,
        }
    }

    pub fn params(&self) -> Params {
        self.params
    }

    /// Documents in the index, removed ones not counted.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn doc(&self, doc: DocId) -> &DocMeta {
        &self.docs[doc as usize]
    }

    pub fn doc_id(&self, id: &str) -> Option<DocId> {
        self.by_id.get(id).copied()
    }

    pub fn author_name(&self, author: u32) -> Option<&str> {
        self.authors.get(author as usize).map(String::as_str)
    }

    pub fn author_id(&self, name: &str) -> Option<u32> {
        self.author_ids.get(name).copied()
    }

    /// Document numbers handed out, removed documents included: one past the largest.
    pub fn doc_count(&self) -> usize {
        self.docs.len()
    }

    /// Total postings, for size figures.
    pub fn posting_count(&self) -> usize {
        self.sorted.len() + self.pending_count
    }

    fn intern_author(&mut self, author: Option<&str>) -> Option<u32> {
        let name = author?;
        if let Some(&id) = self.author_ids.get(name) {
            return Some(id);
        }
        let id = self.authors.len() as u32;
        self.authors.push(name.to_owned());
        self.author_ids.insert(name.to_owned(), id);
        Some(id)
    }

    /// Registers a document and returns its number and the hashes to post; a document
    /// with the same id is replaced.
    fn register(&mut self, id: &str, author: Option<&str>, kind: DocKind, chars: usize) -> Result<DocId, IndexError> {
        if self.docs.len() >= MAX_DOCS {
            return Err(IndexError::Full(MAX_DOCS));
        }
        self.remove(id);
        let doc = self.docs.len() as DocId;
        let author = self.intern_author(author);
        self.docs.push(DocMeta { id: id.to_owned(), author, kind, chars: chars as u32, removed: false });
        self.info.push(DocInfo { author: author.unwrap_or(u32::MAX), kind, removed: false });
        if let (Some(author), DocKind::PreviousYear) = (author, kind) {
            self.earlier_of_author.entry(author).or_default().push(doc);
        }
        self.by_id.insert(id.to_owned(), doc);
        Ok(doc)
    }

    /// Adds (or replaces) one document.
    pub fn add(
        &mut self,
        id: &str,
        author: Option<&str>,
        kind: DocKind,
        skeleton: &Skeleton,
    ) -> Result<DocId, IndexError> {
        let hashes = document_hashes(skeleton, self.params);
        self.add_hashes(id, author, kind, skeleton.len(), &hashes)
    }

    /// Adds a document whose hashes were computed elsewhere (in parallel, say).
    pub fn add_hashes(
        &mut self,
        id: &str,
        author: Option<&str>,
        kind: DocKind,
        chars: usize,
        hashes: &[u32],
    ) -> Result<DocId, IndexError> {
        let doc = self.register(id, author, kind, chars)?;
        for &h in hashes {
            self.pending.entry(h).or_default().push(doc);
            if kind == DocKind::Template {
                self.templates.add(h, doc);
            }
        }
        self.pending_count += hashes.len();
        // Merging costs the whole index; wait until the pending part is a fair share.
        if self.pending_count > (1 << 20).max(self.sorted.len() / 4) {
            self.merge();
        }
        Ok(doc)
    }

    /// Marks a document removed; its postings are dropped at the next merge.
    pub fn remove(&mut self, id: &str) -> bool {
        match self.by_id.remove(id) {
            Some(doc) => {
                self.docs[doc as usize].removed = true;
                self.info[doc as usize].removed = true;
                true
            }
            None => false,
        }
    }

    /// Folds the pending postings into the sorted arrays and drops removed documents.
    pub fn merge(&mut self) {
        let mut pairs: Vec<u64> = Vec::with_capacity(self.sorted.len() + self.pending_count);
        let live = |doc: DocId, docs: &[DocMeta]| !docs[doc as usize].removed;
        pairs.extend(
            self.sorted.iter().filter(|(_, d)| live(*d, &self.docs)).map(|(h, d)| (u64::from(h) << 32) | u64::from(d)),
        );
        for (h, docs) in self.pending.drain() {
            pairs
                .extend(docs.into_iter().filter(|d| live(*d, &self.docs)).map(|d| (u64::from(h) << 32) | u64::from(d)));
        }
        self.pending_count = 0;
        sort_pairs(&mut pairs);
        self.sorted = Sorted::from_pairs(&pairs);
        self.count_common_authors();
    }

    /// Builds an index from many documents at once: one sort instead of many merges.
    pub fn build<'a>(params: Params, docs: impl IntoIterator<Item = BuildDoc<'a>>) -> Result<Self, IndexError> {
        let mut index = Self::new(params);
        // Sized once: growing a vector of 80 million pairs by doubling copies it over and over.
        let docs: Vec<BuildDoc<'a>> = docs.into_iter().collect();
        let mut pairs: Vec<u64> = Vec::with_capacity(docs.iter().map(|d| d.hashes.len()).sum());
        for d in docs {
            let doc = index.register(d.id, d.author, d.kind, d.chars)?;
            pairs.extend(d.hashes.iter().map(|h| (u64::from(*h) << 32) | u64::from(doc)));
        }
        // A replaced document left postings under its old number; drop them.
        pairs.retain(|p| !index.docs[(*p as u32) as usize].removed);
        sort_pairs(&mut pairs);
        index.sorted = Sorted::from_pairs(&pairs);
        index.count_common_authors();
        Ok(index)
    }

    /// Recomputes what depends on the sorted postings: author counts of common hashes
    /// and the special postings.
    pub(crate) fn count_common_authors(&mut self) {
        let info = &self.info;
        let template = |d: DocId| matches!(info[d as usize], DocInfo { kind: DocKind::Template, removed: false, .. });
        // The postings are sorted by hash, then document: so are these, taken in order.
        let pairs: Vec<u64> = self
            .sorted
            .iter()
            .filter(|(_, d)| template(*d))
            .map(|(h, d)| (u64::from(h) << 32) | u64::from(d))
            .collect();
        let mut templates = Posted { merged: Sorted::from_pairs(&pairs), pending: FxHashMap::default() };
        for (&h, docs) in &self.pending {
            for &d in docs.iter().filter(|d| info[**d as usize].kind == DocKind::Template) {
                templates.add(h, d);
            }
        }
        self.templates = templates;
        self.earlier_of_author.clear();
        for (doc, info) in (0..).zip(&self.info) {
            if info.kind == DocKind::PreviousYear && !info.removed && info.author != u32::MAX {
                self.earlier_of_author.entry(info.author).or_default().push(doc);
            }
        }
        let mut common = FxHashMap::default();
        let mut seen: Vec<u32> = Vec::new();
        for (h, docs) in self.sorted.runs().filter(|(_, docs)| docs.len() >= COMMON_DF) {
            seen.clear();
            seen.extend(docs.iter().map(|d| self.author_key(d)));
            seen.sort_unstable();
            seen.dedup();
            common.insert(h, seen.len() as u32);
        }
        self.common_authors = common;
    }

    /// An author's number, or for an anonymous document one of its own.
    fn author_key(&self, doc: DocId) -> u32 {
        match self.info[doc as usize].author {
            u32::MAX => u32::MAX - doc,
            author => author,
        }
    }

    pub fn info(&self, doc: DocId) -> DocInfo {
        self.info[doc as usize]
    }

    /// Templates posted under a hash.
    pub fn templates_posted(&self, hash: u32) -> impl Iterator<Item = DocId> + '_ {
        self.templates.get(hash)
    }

    /// An author's earlier-year materials (removed ones included: callers check).
    pub fn earlier_of(&self, author: u32) -> &[DocId] {
        self.earlier_of_author.get(&author).map_or(&[][..], Vec::as_slice)
    }

    /// The merged postings of many hashes at once, as runs for [`Self::postings_in`]: the lookups that grow
    /// with the index, batched so that their cache misses overlap (see [`Sorted::lookup_many`]).
    pub fn lookup_many(&self, hashes: &[u32]) -> Vec<Run> {
        self.sorted.lookup_many(hashes)
    }

    /// The merged postings of a run from [`Self::lookup_many`].
    pub fn postings_in(&self, run: Run) -> Postings<'_> {
        self.sorted.postings(run)
    }

    /// The postings under a hash added since the last merge.
    pub fn pending_of(&self, hash: u32) -> &[DocId] {
        if self.pending.is_empty() {
            return &[];
        }
        self.pending.get(&hash).map_or(&[][..], Vec::as_slice)
    }

    /// The documents posted under a hash: sorted part and pending part.
    pub fn lookup(&self, hash: u32) -> (Postings<'_>, &[DocId]) {
        (self.postings_in(self.sorted.run(hash)), self.pending_of(hash))
    }

    /// Distinct authors whose live documents carry a hash.
    pub fn authors_with(&self, hash: u32) -> usize {
        let (sorted, pending) = self.lookup(hash);
        self.count_authors(hash, sorted, pending)
    }

    /// The same for a hash whose merged postings [`Self::lookup_many`] found.
    pub fn authors_in(&self, hash: u32, run: Run) -> usize {
        self.count_authors(hash, self.postings_in(run), self.pending_of(hash))
    }

    fn count_authors(&self, hash: u32, sorted: Postings<'_>, pending: &[DocId]) -> usize {
        // Only hashes with COMMON_DF merged postings have a count kept; asking the large map for the others would
        // cost a cache miss each.
        if pending.is_empty() && sorted.len() >= COMMON_DF {
            if let Some(&n) = self.common_authors.get(&hash) {
                return n as usize;
            }
        }
        let authors = sorted
            .iter()
            .chain(pending.iter().copied())
            .filter(|d| !self.info[*d as usize].removed)
            .map(|d| self.author_key(d));
        if sorted.len() + pending.len() < COMMON_DF {
            // Most hashes of a material: its own document and perhaps one more, counted without allocating.
            let mut seen = [0u32; COMMON_DF];
            let mut n = 0;
            for author in authors {
                if !seen[..n].contains(&author) {
                    seen[n] = author;
                    n += 1;
                }
            }
            return n;
        }
        let mut seen: Vec<u32> = authors.collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }
}

/// A document for [`Index::build`], hashed beforehand (see [`document_hashes`]).
#[derive(Debug, Clone, Copy)]
pub struct BuildDoc<'a> {
    pub id: &'a str,
    pub author: Option<&'a str>,
    pub kind: DocKind,
    pub chars: usize,
    pub hashes: &'a [u32],
}

/// Sorts `hash << 32 | doc` pairs by a counting pass on the top bits and a small sort
/// per bucket, which beats one large comparison sort several times over.
fn sort_pairs(pairs: &mut [u64]) {
    if pairs.len() < 1 << 16 {
        pairs.sort_unstable();
        return;
    }
    // Two scatter passes of 8 bits each, then a comparison sort of each small run. One pass of 16 bits would
    // write to 65,536 places at once, far more than the TLB and the write buffers follow; 256 at a time stream.
    let mut scratch = vec![0u64; pairs.len()];
    let top = scatter(pairs, &mut scratch, 56);
    for range in top.windows(2) {
        let (from, to) = (range[0], range[1]);
        let inner = scatter(&scratch[from..to], &mut pairs[from..to], 48);
        for run in inner.windows(2) {
            pairs[from + run[0]..from + run[1]].sort_unstable();
        }
    }
}

/// Scatters `from` into `to` by the 8 bits of each value at `shift`, stable; returns the 257 bounds of the 256
/// groups in `to`.
fn scatter(from: &[u64], to: &mut [u64], shift: u32) -> Vec<usize> {
    let digit = |p: u64| ((p >> shift) & 0xFF) as usize;
    let mut bounds = vec![0usize; 257];
    for &p in from {
        bounds[digit(p) + 1] += 1;
    }
    for b in 1..bounds.len() {
        bounds[b] += bounds[b - 1];
    }
    let mut next = bounds.clone();
    for &p in from {
        let d = digit(p);
        to[next[d]] = p;
        next[d] += 1;
    }
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skeleton(text: &str) -> Skeleton {
        Skeleton::from_chars(&text.chars().collect::<Vec<_>>())
    }

    #[test]
    fn pairs_sort_as_a_plain_sort_does() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut pairs: Vec<u64> = (0..200_000)
            .map(|i| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                // Runs of equal hashes and skewed top bits, as common fingerprints give.
                if i % 7 == 0 { 0xABCD_0000_0000_0000 | (state & 0xFFFF) } else { state }
            })
            .collect();
        let mut expected = pairs.clone();
        expected.sort_unstable();
        sort_pairs(&mut pairs);
        assert_eq!(pairs, expected);
    }

    const A: &str = "在推进全县政务服务体系建设中对窗口人员的日常管理思考不深措施不多常规性地以稳字当头";
    const B: &str = "对基层党建工作的指导督促还不够经常深入调研少发现问题和解决问题的能力有待提高";

    #[test]
    fn added_documents_are_found_by_their_hashes_before_and_after_merge() {
        let mut index = Index::default();
        let a = index.add("a", Some("张"), DocKind::Member, &skeleton(A)).expect("add");
        let b = index.add("b", Some("李"), DocKind::Template, &skeleton(B)).expect("add");
        let probe = document_hashes(&skeleton(A), index.params());
        let found = |index: &Index| {
            let (sorted, pending) = index.lookup(probe[0]);
            sorted.iter().chain(pending.iter().copied()).collect::<Vec<_>>()
        };
        assert_eq!(found(&index), vec![a]);
        index.merge();
        assert_eq!(found(&index), vec![a]);
        assert_ne!(a, b);
        assert_eq!(index.len(), 2);
    }

    #[test]
    fn batched_lookups_find_what_single_lookups_find() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Enough documents for buckets of many hashes, some hashes shared by many documents.
        let docs: Vec<Vec<u32>> = (0..400)
            .map(|_| {
                let mut h: Vec<u32> =
                    (0..300).map(|i| if i % 10 == 0 { (next() % 50) as u32 } else { next() as u32 }).collect();
                h.sort_unstable();
                h.dedup();
                h
            })
            .collect();
        let ids: Vec<String> = (0..docs.len()).map(|i| i.to_string()).collect();
        let index = Index::build(
            Params::default(),
            ids.iter().zip(&docs).map(|(id, h)| BuildDoc {
                id,
                author: None,
                kind: DocKind::Member,
                chars: 100,
                hashes: h,
            }),
        )
        .expect("build");
        let mut probes: Vec<u32> = docs[7].iter().copied().chain((0..200).map(|_| next() as u32)).collect();
        probes.sort_unstable();
        probes.dedup();
        for (hash, run) in probes.iter().zip(index.lookup_many(&probes)) {
            assert_eq!(index.postings_in(run).to_vec(), index.lookup(*hash).0.to_vec(), "{hash}");
        }
        assert!(docs[7].iter().all(|h| index.lookup(*h).0.contains(7)));
    }

    #[test]
    fn replacing_a_document_drops_its_old_postings() {
        let mut index = Index::default();
        index.add("a", None, DocKind::Member, &skeleton(A)).expect("add");
        let new = index.add("a", None, DocKind::Member, &skeleton(B)).expect("replace");
        index.merge();
        assert_eq!(index.len(), 1);
        let old = document_hashes(&skeleton(A), index.params());
        assert!(old.iter().all(|h| index.lookup(*h).0.is_empty()));
        let current = document_hashes(&skeleton(B), index.params());
        assert_eq!(index.lookup(current[0]).0.to_vec(), [new]);
    }

    #[test]
    fn distinct_authors_not_documents_are_counted() {
        let mut index = Index::default();
        for (id, author) in [("1", "张"), ("2", "张"), ("3", "李"), ("4", "王")] {
            index.add(id, Some(author), DocKind::Member, &skeleton(A)).expect("add");
        }
        let hash = document_hashes(&skeleton(A), index.params())[0];
        assert_eq!(index.authors_with(hash), 3);
        index.merge();
        assert_eq!(index.authors_with(hash), 3);
    }

    #[test]
    fn bulk_build_equals_incremental_adds() {
        let docs = [("a", A), ("b", B)];
        let hashes: Vec<Vec<u32>> =
            docs.iter().map(|(_, t)| document_hashes(&skeleton(t), Params::default())).collect();
        let built = Index::build(
            Params::default(),
            docs.iter().zip(&hashes).map(|((id, t), h)| BuildDoc {
                id,
                author: None,
                kind: DocKind::Member,
                chars: t.chars().count(),
                hashes: h,
            }),
        )
        .expect("build");
        let mut added = Index::default();
        for (id, text) in docs {
            added.add(id, None, DocKind::Member, &skeleton(text)).expect("add");
        }
        added.merge();
        assert!(built.sorted.iter().eq(added.sorted.iter()));
    }

    #[test]
    fn counting_sort_sorts() {
        let mut pairs: Vec<u64> = (0..200_000u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        let mut expected = pairs.clone();
        expected.sort_unstable();
        sort_pairs(&mut pairs);
        assert_eq!(pairs, expected);
    }
}
