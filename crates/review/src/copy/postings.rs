//! The merged postings of the index, sorted by hash and then document, laid out so that looking up a hash costs one
//! cache miss and one page: each posting of a short run is one 64-bit slot holding the hash and the document
//! together, and each run stands at the place its hash alone points to (its home) or a few slots after it, as in
//! linear probing kept in order. A table of bucket bounds, as before, cost a second miss on a second page for every
//! lookup, and each of those misses waited on a page walk as well as on memory. A hash posted in many
//! documents (套话, the mandated headings) keeps a single slot, pointing to its run stored apart, so that no run
//! pushes its neighbours far from home.

use super::index::DocId;

/// Runs of this many postings or more are stored apart.
const LONG: usize = 16;

/// Set in a slot's document half when the slot points to a long run instead of naming a document; document numbers
/// stay below it.
pub(crate) const LONG_MARK: u32 = 1 << 31;

/// The document half of a gap: a slot left empty so that what follows stands at its home. A gap carries the hash of
/// the slot before it, which keeps the slots sorted for a binary search.
const GAP: u32 = u32::MAX;

/// Slots in a cache line.
const LINE_SLOTS: usize = 8;

/// Homes per filled slot, as a fraction: a third of the table is gaps, so that a run nearly always ends within the
/// cache line after its home's. The lookups of one review at 100k materials took 29 µs so, 41 µs with a fifth of
/// gaps (more runs spilled into a third line) and 33 µs with a half (the table spans more pages).
const HOMES_PER_SLOT: (u128, u128) = (3, 2);

/// The sorted postings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sorted {
    /// `hash << 32 | document` per posting of a short run, `hash << 32 | LONG_MARK | n` for long run `n`, and gaps,
    /// in order.
    slots: Vec<u64>,
    /// The long runs' documents, run after run.
    long_docs: Vec<DocId>,
    /// Where each long run lies in `long_docs`.
    long: Vec<(usize, usize)>,
    /// How many homes the hashes are spread over.
    homes: u64,
    /// Slots that are not gaps.
    filled: usize,
}

/// Where a hash's merged postings lie, from [`Sorted::run`] or [`Sorted::lookup_many`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    start: usize,
    end: usize,
    long: bool,
}

/// The merged documents of one hash, in document order.
#[derive(Debug, Clone, Copy)]
pub struct Postings<'a> {
    slots: &'a [u64],
    docs: &'a [DocId],
}

impl<'a> Postings<'a> {
    pub fn len(&self) -> usize {
        self.slots.len() + self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = DocId> + use<'a> {
        self.slots.iter().map(|s| doc_of(*s)).chain(self.docs.iter().copied())
    }

    /// Whether `doc` is among them: a binary search, as they are in document order.
    pub fn contains(&self, doc: DocId) -> bool {
        self.slots.binary_search_by_key(&doc, |s| doc_of(*s)).is_ok() || self.docs.binary_search(&doc).is_ok()
    }

    pub fn to_vec(&self) -> Vec<DocId> {
        self.iter().collect()
    }
}

fn hash_of(slot: u64) -> u32 {
    (slot >> 32) as u32
}

fn doc_of(slot: u64) -> u32 {
    slot as u32
}

fn is_gap(slot: u64) -> bool {
    doc_of(slot) == GAP
}

/// A gap after a slot of `hash`.
fn gap(hash: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(GAP)
}

/// The home of a hash among `homes`: hashes are uniform, so spreading them in proportion fills the table evenly,
/// and a larger hash never has an earlier home, which keeps the table in order.
fn home(hash: u32, homes: u64) -> usize {
    ((u128::from(hash) * u128::from(homes)) >> 32) as usize
}

impl Sorted {
    /// From `hash << 32 | doc` pairs, sorted.
    pub(crate) fn from_pairs(pairs: &[u64]) -> Self {
        Self::from_fn(pairs.len(), |i| (hash_of(pairs[i]), doc_of(pairs[i])))
    }

    /// From parallel arrays of hashes and documents, sorted by hash and then document.
    pub(crate) fn from_parallel(hashes: &[u32], docs: &[DocId]) -> Self {
        Self::from_fn(hashes.len().min(docs.len()), |i| (hashes[i], docs[i]))
    }

    /// Two passes over the runs: the first counts the slots they fill, which sets the number of homes; the second
    /// places each run at its home or right after the run before it.
    fn from_fn(len: usize, at: impl Fn(usize) -> (u32, DocId)) -> Self {
        let at = &at;
        let runs = || {
            let mut start = 0;
            std::iter::from_fn(move || {
                if start >= len {
                    return None;
                }
                let (hash, run) = (at(start).0, start);
                while start < len && at(start).0 == hash {
                    start += 1;
                }
                Some((hash, run..start))
            })
        };
        let filled: usize = runs().map(|(_, r)| if r.len() < LONG { r.len() } else { 1 }).sum();
        let homes = (filled as u128 * HOMES_PER_SLOT.0 / HOMES_PER_SLOT.1) as u64;
        let mut sorted = Self { homes, filled, ..Self::default() };
        // The last runs may stand past the last home, by as many slots as wait there: a margin for them, so that the
        // table is not copied into one twice its size.
        sorted.slots.reserve_exact(homes as usize + (homes as usize >> 10) + LONG);
        for (hash, range) in runs() {
            let high = u64::from(hash) << 32;
            let at_home = home(hash, homes);
            if sorted.slots.len() < at_home {
                let before = sorted.slots.last().map_or(0, |&s| hash_of(s));
                sorted.slots.resize(at_home, gap(before));
            }
            if range.len() < LONG {
                sorted.slots.extend(range.map(|i| high | u64::from(at(i).1)));
            } else {
                sorted.slots.push(high | u64::from(LONG_MARK | sorted.long.len() as u32));
                sorted.long.push((sorted.long_docs.len(), sorted.long_docs.len() + range.len()));
                sorted.long_docs.extend(range.map(|i| at(i).1));
            }
        }
        sorted.slots.shrink_to_fit();
        sorted.long_docs.shrink_to_fit();
        sorted
    }

    /// Postings in all.
    pub(crate) fn len(&self) -> usize {
        self.filled - self.long.len() + self.long_docs.len()
    }

    /// Every run in hash order: the hash and its documents.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (u32, Postings<'_>)> + '_ {
        let mut start = 0;
        std::iter::from_fn(move || {
            while is_gap(*self.slots.get(start)?) {
                start += 1;
            }
            let hash = hash_of(self.slots[start]);
            let end = start + run_length(&self.slots[start..], hash);
            let run = self.resolve(start, end);
            start = end;
            Some((hash, self.postings(run)))
        })
    }

    /// Every posting in hash order, then document order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, DocId)> + '_ {
        self.runs().flat_map(|(hash, docs)| docs.iter().map(move |d| (hash, d)))
    }

    /// The documents of a run.
    pub(crate) fn postings(&self, run: Run) -> Postings<'_> {
        if run.long {
            Postings { slots: &[], docs: &self.long_docs[run.start..run.end] }
        } else {
            Postings { slots: &self.slots[run.start..run.end], docs: &[] }
        }
    }

    /// The run of `hash`: its slots, or the long run they point to.
    pub(crate) fn run(&self, hash: u32) -> Run {
        let (start, end) = find_run(&self.slots, hash, self.homes);
        self.resolve(start, end)
    }

    fn resolve(&self, start: usize, end: usize) -> Run {
        let first = if end > start { doc_of(self.slots[start]) } else { 0 };
        if first & LONG_MARK != 0 {
            let (start, end) = self.long[(first & !LONG_MARK) as usize];
            Run { start, end, long: true }
        } else {
            Run { start, end, long: false }
        }
    }

    /// [`Self::run`] of many hashes at once. A review looks up hundreds of hashes in an array far larger than the
    /// cache. A first pass reads each hash's home and the last slot of a line's length from it: a run starts a few slots after its
    /// home and often ends in the next cache line, and those reads are independent of each other, so the processor
    /// keeps many cache misses under way at once. The second pass finds the runs in lines already fetched; a short
    /// run's documents are in the same slots. One lookup at a time, each would wait out its own misses.
    pub(crate) fn lookup_many(&self, hashes: &[u32]) -> Vec<Run> {
        let mut fetched = 0u64;
        if let Some(last) = self.slots.len().checked_sub(1) {
            for &hash in hashes {
                let at = home(hash, self.homes);
                fetched ^= self.slots[at.min(last)] ^ self.slots[(at + LINE_SLOTS - 1).min(last)];
            }
        }
        // Keeps the pass from being optimized away; the value itself means nothing.
        std::hint::black_box(fetched);
        hashes.iter().map(|&hash| self.run(hash)).collect()
    }
}

/// How many slots from the start of `slots` belong to the run of `hash` (gaps after a run carry its hash too).
fn run_length(slots: &[u64], hash: u32) -> usize {
    slots.iter().take(LONG).take_while(|s| hash_of(**s) == hash && !is_gap(**s)).count()
}

/// The slots of `hash`. A run stands at its home or after it, and every slot from its home to the run is filled, so
/// a walk forward from the home finds it within a few steps; a walk that goes on (a crowded stretch) gives way to
/// binary search, which the order of the slots, gaps included, allows.
fn find_run(slots: &[u64], hash: u32, homes: u64) -> (usize, usize) {
    const WALK: usize = 32;
    let below = |s: &u64| hash_of(*s) < hash;
    let mut start = home(hash, homes).min(slots.len());
    let stop = (start + WALK).min(slots.len());
    while start < stop && below(&slots[start]) {
        start += 1;
    }
    if start == stop {
        start += slots[start..].partition_point(below);
    }
    (start, start + run_length(&slots[start..], hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Hashes crowded together push runs far from home, past the walk, and the binary search that takes over
        /// still finds each run whole; hashes absent, below and above every other, find nothing. The slots stay in
        /// order, gaps included, and no run stands before its home.
        #[test]
        fn crowded_hashes_are_found_past_the_walk(
            crowd in proptest::collection::vec((0u32..(1 << 12), 1usize..20), 0..300),
            spread in proptest::collection::vec(proptest::prelude::any::<u32>(), 0..60),
            probes in proptest::collection::vec(proptest::prelude::any::<u32>(), 0..30),
        ) {
            // Most hashes in one narrow stretch near the top, so that their homes collide.
            let mut pairs: Vec<u64> = Vec::new();
            for (n, &(low, len)) in crowd.iter().enumerate() {
                let hash = 0xF000_0000 | low;
                pairs.extend((0..len as u64).map(|d| (u64::from(hash) << 32) | (d * 3 + n as u64)));
            }
            pairs.extend(spread.iter().map(|&h| u64::from(h) << 32));
            pairs.sort_unstable();
            pairs.dedup();
            let sorted = Sorted::from_pairs(&pairs);
            proptest::prop_assert!(sorted.slots.is_sorted());
            for (start, slot) in sorted.slots.iter().enumerate() {
                if !is_gap(*slot) {
                    proptest::prop_assert!(home(hash_of(*slot), sorted.homes) <= start);
                }
            }
            let hashes = pairs.iter().map(|p| hash_of(*p)).chain(probes).chain([0, u32::MAX, 0xF000_0000]);
            for hash in hashes {
                let expected: Vec<DocId> = pairs.iter().filter(|p| hash_of(**p) == hash).map(|p| doc_of(*p)).collect();
                proptest::prop_assert_eq!(sorted.postings(sorted.run(hash)).to_vec(), expected);
            }
        }

        /// Whatever the mix of long and short runs, every hash's documents come back as they went in, one at a time
        /// and in a batch, and the postings read back in order.
        #[test]
        fn long_and_short_runs_keep_their_documents(
            runs in proptest::collection::vec((0u32..4000, 1usize..40), 0..120),
            absent in proptest::collection::vec(proptest::prelude::any::<u32>(), 0..20),
        ) {
            // Hashes spread over the whole range, so that buckets differ; some runs long, most short.
            let mut pairs: Vec<u64> = Vec::new();
            for (n, &(h, len)) in runs.iter().enumerate() {
                let hash = h.wrapping_mul(0x9E37_79B9);
                let len = if n % 5 == 0 { len } else { len % 4 + 1 };
                pairs.extend((0..len as u64).map(|d| (u64::from(hash) << 32) | (d * 7 + n as u64)));
            }
            pairs.sort_unstable();
            pairs.dedup();
            let sorted = Sorted::from_pairs(&pairs);
            let expect = |hash: u32| -> Vec<DocId> {
                pairs.iter().filter(|p| (*p >> 32) as u32 == hash).map(|p| *p as u32).collect()
            };
            let mut probes: Vec<u32> = pairs.iter().map(|p| (p >> 32) as u32).chain(absent).collect();
            probes.sort_unstable();
            probes.dedup();
            for (&hash, run) in probes.iter().zip(sorted.lookup_many(&probes)) {
                let expected = expect(hash);
                proptest::prop_assert_eq!(sorted.postings(run).to_vec(), expected.clone());
                proptest::prop_assert_eq!(sorted.postings(sorted.run(hash)).to_vec(), expected.clone());
                for doc in 0..expected.last().map_or(0, |d| d + 2) {
                    proptest::prop_assert_eq!(sorted.postings(run).contains(doc), expected.contains(&doc));
                }
            }
            let back: Vec<u64> = sorted.iter().map(|(h, d)| (u64::from(h) << 32) | u64::from(d)).collect();
            proptest::prop_assert_eq!(&back, &pairs);
            proptest::prop_assert_eq!(sorted.len(), pairs.len());
            let hashes: Vec<u32> = pairs.iter().map(|p| (p >> 32) as u32).collect();
            let docs: Vec<DocId> = pairs.iter().map(|p| *p as u32).collect();
            let parallel = Sorted::from_parallel(&hashes, &docs);
            proptest::prop_assert!(parallel.iter().eq(sorted.iter()));
        }
    }
}
