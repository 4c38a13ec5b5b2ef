//! The merged postings of the index, sorted by hash and then document, laid out so that looking up a hash costs one
//! cache miss: each posting of a short run is one 64-bit slot holding the hash and the document together. A hash
//! posted in many documents (套话, the mandated headings) keeps a single slot, pointing to its run stored apart:
//! thousands of equal hashes in a bucket would throw off the guessed place of every other hash there and turn each
//! lookup into a binary search of dependent misses.

use super::index::DocId;

/// Runs of this many postings or more are stored apart.
const LONG: usize = 16;

/// Set in a slot's document half when the slot points to a long run instead of naming a document; document numbers
/// stay below it.
pub(crate) const LONG_MARK: u32 = 1 << 31;

/// Slots per bucket aimed at: the guessed place of a hash then lies within a cache line or two of its run.
const BUCKET_SLOTS: usize = 32;

/// The sorted postings.
#[derive(Debug, Clone)]
pub(crate) struct Sorted {
    /// `hash << 32 | document` per posting of a short run, `hash << 32 | LONG_MARK | n` for long run `n`, in order.
    slots: Vec<u64>,
    /// The long runs' documents, run after run.
    long_docs: Vec<DocId>,
    /// Where each long run lies in `long_docs`.
    long: Vec<(usize, usize)>,
    /// `buckets[b]..buckets[b + 1]` is where hashes with top bits `b` lie.
    buckets: Vec<u32>,
    /// How many top bits of a hash pick its bucket: more as the index grows, so that buckets stay small.
    bits: u32,
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

impl Default for Sorted {
    fn default() -> Self {
        Self { slots: Vec::new(), long_docs: Vec::new(), long: Vec::new(), buckets: vec![0; 2], bits: 0 }
    }
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

    fn from_fn(len: usize, at: impl Fn(usize) -> (u32, DocId)) -> Self {
        let mut sorted = Self::default();
        let mut start = 0;
        while start < len {
            let hash = at(start).0;
            let mut end = start + 1;
            while end < len && at(end).0 == hash {
                end += 1;
            }
            let high = u64::from(hash) << 32;
            if end - start < LONG {
                sorted.slots.extend((start..end).map(|i| high | u64::from(at(i).1)));
            } else {
                sorted.slots.push(high | u64::from(LONG_MARK | sorted.long.len() as u32));
                sorted.long.push((sorted.long_docs.len(), sorted.long_docs.len() + end - start));
                sorted.long_docs.extend((start..end).map(|i| at(i).1));
            }
            start = end;
        }
        sorted.slots.shrink_to_fit();
        sorted.long_docs.shrink_to_fit();
        sorted.rebuild_buckets();
        sorted
    }

    fn rebuild_buckets(&mut self) {
        self.bits = bucket_bits(self.slots.len());
        let mut buckets = vec![0u32; (1 << self.bits) + 1];
        for &slot in &self.slots {
            buckets[top(hash_of(slot), self.bits) + 1] += 1;
        }
        for b in 1..buckets.len() {
            buckets[b] += buckets[b - 1];
        }
        self.buckets = buckets;
    }

    /// Postings in all.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.long.len() + self.long_docs.len()
    }

    /// Every run in hash order: the hash and its documents.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (u32, Postings<'_>)> + '_ {
        let mut start = 0;
        std::iter::from_fn(move || {
            let hash = hash_of(*self.slots.get(start)?);
            let end = start + self.slots[start..].iter().take_while(|s| hash_of(**s) == hash).count();
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

    /// Where the hashes with the top bits of `hash` lie.
    fn bucket(&self, hash: u32) -> (usize, usize) {
        let b = top(hash, self.bits);
        (self.buckets[b] as usize, self.buckets[b + 1] as usize)
    }

    /// The run of `hash`: its slots, or the long run they point to.
    pub(crate) fn run(&self, hash: u32) -> Run {
        let (lo, hi) = self.bucket(hash);
        let (start, end) = find_run(&self.slots[lo..hi], hash, self.bits);
        self.resolve(lo + start, lo + end)
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
    /// cache. A first pass reads the place where each hash's run should start: those reads are independent of each
    /// other, so the processor keeps many cache misses under way at once. The second pass finds the runs in lines
    /// already fetched; a short run's documents are in the same slots. One lookup at a time, each would wait out
    /// its own miss.
    pub(crate) fn lookup_many(&self, hashes: &[u32]) -> Vec<Run> {
        let mut fetched = 0u64;
        for &hash in hashes {
            let (lo, hi) = self.bucket(hash);
            if hi > lo {
                fetched ^= self.slots[lo + guess(hi - lo, hash, self.bits)];
            }
        }
        // Keeps the pass from being optimized away; the value itself means nothing.
        std::hint::black_box(fetched);
        hashes.iter().map(|&hash| self.run(hash)).collect()
    }
}

/// Top bits for buckets of about [`BUCKET_SLOTS`] slots each, at most 2^24 buckets (64 MiB of bounds).
fn bucket_bits(slots: usize) -> u32 {
    (slots / BUCKET_SLOTS).max(1).ilog2().clamp(1, 24)
}

/// The bucket of a hash: its top `bits` bits.
fn top(hash: u32, bits: u32) -> usize {
    (u64::from(hash) >> (32 - bits)) as usize
}

/// Where `hash` should stand in its bucket's sorted slots: the hashes are uniform, so the run lies close to where
/// the hash's remaining bits put it.
fn guess(len: usize, hash: u32, bits: u32) -> usize {
    let low = 32 - bits;
    let offset = u64::from(hash) & ((1u64 << low) - 1);
    (((offset * len as u64) >> low) as usize).min(len.saturating_sub(1))
}

/// The slots of `hash` in one bucket's sorted slots. It walks from the guessed place, as the run is near: a walk of
/// a few steps over one or two cache lines, with branches a processor predicts, beats a binary search whose every
/// step is a coin toss. A long walk (a skewed bucket) gives way to binary search.
fn find_run(slice: &[u64], hash: u32, bits: u32) -> (usize, usize) {
    const WALK: usize = 64;
    let n = slice.len();
    if n == 0 {
        return (0, 0);
    }
    let below = |s: &u64| hash_of(*s) < hash;
    let mut start = guess(n, hash, bits);
    let mut steps = 0;
    if below(&slice[start]) {
        while start < n && below(&slice[start]) && steps < WALK {
            start += 1;
            steps += 1;
        }
        if start < n && below(&slice[start]) {
            start += slice[start..].partition_point(below);
        }
    } else {
        while start > 0 && !below(&slice[start - 1]) && steps < WALK {
            start -= 1;
            steps += 1;
        }
        if start > 0 && !below(&slice[start - 1]) {
            start = slice[..start].partition_point(below);
        }
    }
    let run = &slice[start..];
    let end = match run.iter().take(LONG).position(|s| hash_of(*s) != hash) {
        Some(len) => start + len,
        None => start + run.partition_point(|s| hash_of(*s) <= hash),
    };
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The walk from the guessed place finds exactly the run a search of the whole bucket finds, for hashes in the
        /// bucket and around it, with runs long and short, the guess right or far off.
        #[test]
        fn a_run_is_found_as_a_whole_bucket_search_finds_it(
            mut values in proptest::collection::vec(0u32..(1 << 16), 0..600),
            repeat in 0usize..40,
            probe in 0u32..(1 << 16),
        ) {
            // One bucket's hashes: the same top bits, low bits sorted; one value repeated many times.
            if let Some(&v) = values.first() {
                values.extend(std::iter::repeat_n(v, repeat));
            }
            values.sort_unstable();
            let top = 0x1234u32 << 16;
            let hashes: Vec<u32> = values.iter().map(|v| top | v).collect();
            let slice: Vec<u64> = (0u64..).zip(&hashes).map(|(doc, h)| (u64::from(*h) << 32) | doc).collect();
            let hash = top | probe;
            let expected = (hashes.partition_point(|x| *x < hash), hashes.partition_point(|x| *x <= hash));
            proptest::prop_assert_eq!(find_run(&slice, hash, 16), expected);
            if let Some(&present) = hashes.get(hashes.len() / 2) {
                let expected = (hashes.partition_point(|x| *x < present), hashes.partition_point(|x| *x <= present));
                proptest::prop_assert_eq!(find_run(&slice, present, 16), expected);
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
