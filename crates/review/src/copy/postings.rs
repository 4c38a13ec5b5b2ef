//! The merged postings of the index, sorted by hash and then document, laid out so that looking up a hash costs one
//! cache miss in the hashes and one in the documents. A hash posted in many documents (套话, the mandated headings)
//! keeps a single slot among the sorted hashes, pointing to its run stored after the short ones: thousands of equal
//! hashes in a bucket would throw off the guessed place of every other hash there and turn each lookup into a
//! binary search of dependent misses.

use super::index::DocId;

/// Runs of this many postings or more are stored apart.
const LONG: usize = 16;

/// Set in a document slot that points to a long run instead of naming a document; document numbers stay below it.
pub(crate) const LONG_MARK: u32 = 1 << 31;

/// Slots per bucket aimed at: the guessed place of a hash then lies within a cache line or two of its run.
const BUCKET_SLOTS: usize = 32;

/// The sorted postings.
#[derive(Debug, Clone)]
pub(crate) struct Sorted {
    /// One slot per posting of a short run and one per long run, in hash order.
    hashes: Vec<u32>,
    /// First, parallel to `hashes`, a document or `LONG_MARK | n` for long run `n`; then the long runs' documents.
    docs: Vec<DocId>,
    /// Where each long run lies in `docs`.
    long: Vec<(usize, usize)>,
    /// `buckets[b]..buckets[b + 1]` is where hashes with top bits `b` lie.
    buckets: Vec<u32>,
    /// How many top bits of a hash pick its bucket: more as the index grows, so that buckets stay small.
    bits: u32,
}

impl Default for Sorted {
    fn default() -> Self {
        Self { hashes: Vec::new(), docs: Vec::new(), long: Vec::new(), buckets: vec![0; 2], bits: 0 }
    }
}

impl Sorted {
    /// From `hash << 32 | doc` pairs, sorted.
    pub(crate) fn from_pairs(pairs: &[u64]) -> Self {
        Self::from_fn(pairs.len(), |i| ((pairs[i] >> 32) as u32, pairs[i] as u32))
    }

    /// From parallel arrays of hashes and documents, sorted by hash and then document.
    pub(crate) fn from_parallel(hashes: &[u32], docs: &[DocId]) -> Self {
        Self::from_fn(hashes.len().min(docs.len()), |i| (hashes[i], docs[i]))
    }

    fn from_fn(len: usize, at: impl Fn(usize) -> (u32, DocId)) -> Self {
        let mut sorted = Self::default();
        let mut long_docs: Vec<DocId> = Vec::new();
        let mut start = 0;
        while start < len {
            let hash = at(start).0;
            let mut end = start + 1;
            while end < len && at(end).0 == hash {
                end += 1;
            }
            if end - start < LONG {
                sorted.hashes.extend(std::iter::repeat_n(hash, end - start));
                sorted.docs.extend((start..end).map(|i| at(i).1));
            } else {
                sorted.hashes.push(hash);
                sorted.docs.push(LONG_MARK | sorted.long.len() as u32);
                sorted.long.push((long_docs.len(), long_docs.len() + end - start));
                long_docs.extend((start..end).map(|i| at(i).1));
            }
            start = end;
        }
        let offset = sorted.docs.len();
        sorted.long.iter_mut().for_each(|(s, e)| (*s, *e) = (*s + offset, *e + offset));
        sorted.docs.append(&mut long_docs);
        sorted.hashes.shrink_to_fit();
        sorted.docs.shrink_to_fit();
        sorted.rebuild_buckets();
        sorted
    }

    fn rebuild_buckets(&mut self) {
        self.bits = bucket_bits(self.hashes.len());
        let mut buckets = vec![0u32; (1 << self.bits) + 1];
        for &h in &self.hashes {
            buckets[top(h, self.bits) + 1] += 1;
        }
        for b in 1..buckets.len() {
            buckets[b] += buckets[b - 1];
        }
        self.buckets = buckets;
    }

    /// Postings in all.
    pub(crate) fn len(&self) -> usize {
        self.docs.len() - self.long.len()
    }

    /// Every run in hash order: the hash and its documents.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (u32, &[DocId])> + '_ {
        let mut start = 0;
        std::iter::from_fn(move || {
            let hash = *self.hashes.get(start)?;
            let end = start + self.hashes[start..].iter().take_while(|h| **h == hash).count();
            let range = self.resolve((start, end));
            start = end;
            Some((hash, &self.docs[range.0..range.1]))
        })
    }

    /// Every posting in hash order, then document order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, DocId)> + '_ {
        self.runs().flat_map(|(hash, docs)| docs.iter().map(move |d| (hash, *d)))
    }

    /// The documents in a range from [`Self::run`] or [`Self::lookup_many`].
    pub(crate) fn docs_in(&self, range: (usize, usize)) -> &[DocId] {
        &self.docs[range.0..range.1]
    }

    /// Where the hashes with the top bits of `hash` lie.
    fn bucket(&self, hash: u32) -> (usize, usize) {
        let b = top(hash, self.bits);
        (self.buckets[b] as usize, self.buckets[b + 1] as usize)
    }

    /// The slots of `hash` among the sorted hashes.
    fn slots(&self, hash: u32) -> (usize, usize) {
        let (lo, hi) = self.bucket(hash);
        let (start, end) = find_run(&self.hashes[lo..hi], hash, self.bits);
        (lo + start, lo + end)
    }

    /// A hash's slots turned into the range of its documents: the slots themselves, or the long run they point to.
    fn resolve(&self, (start, end): (usize, usize)) -> (usize, usize) {
        if end > start && self.docs[start] & LONG_MARK != 0 {
            self.long[(self.docs[start] & !LONG_MARK) as usize]
        } else {
            (start, end)
        }
    }

    /// The range of `docs` posted under `hash`.
    pub(crate) fn run(&self, hash: u32) -> (usize, usize) {
        self.resolve(self.slots(hash))
    }

    /// [`Self::run`] of many hashes at once. A review looks up hundreds of hashes in arrays far larger than the
    /// cache. A first pass reads the place where each hash's run should start: those reads are independent of each
    /// other, so the processor keeps many cache misses under way at once. The second pass finds the slots in lines
    /// already fetched, and a third reads the first document slot of each the same way, which also says whether
    /// it points to a long run. One lookup at a time, each would wait out its own misses.
    pub(crate) fn lookup_many(&self, hashes: &[u32]) -> Vec<(usize, usize)> {
        let mut fetched = 0u32;
        for &hash in hashes {
            let (lo, hi) = self.bucket(hash);
            if hi > lo {
                fetched ^= self.hashes[lo + guess(hi - lo, hash, self.bits)];
            }
        }
        // Keeps the pass from being optimized away; the value itself means nothing.
        std::hint::black_box(fetched);
        let slots: Vec<(usize, usize)> = hashes.iter().map(|&hash| self.slots(hash)).collect();
        slots.into_iter().map(|slots| self.resolve(slots)).collect()
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

/// Where `hash` should stand in its bucket's sorted hashes: the hashes are uniform, so the run lies close to where
/// the hash's remaining bits put it.
fn guess(len: usize, hash: u32, bits: u32) -> usize {
    let low = 32 - bits;
    let offset = u64::from(hash) & ((1u64 << low) - 1);
    (((offset * len as u64) >> low) as usize).min(len.saturating_sub(1))
}

/// The run of `hash` in one bucket's sorted hashes. It walks from the guessed place, as the run is near: a walk of
/// a few steps over one or two cache lines, with branches a processor predicts, beats a binary search whose every
/// step is a coin toss. A long walk (a skewed bucket) gives way to binary search.
fn find_run(slice: &[u32], hash: u32, bits: u32) -> (usize, usize) {
    const WALK: usize = 64;
    let n = slice.len();
    if n == 0 {
        return (0, 0);
    }
    let mut start = guess(n, hash, bits);
    let mut steps = 0;
    if slice[start] < hash {
        while start < n && slice[start] < hash && steps < WALK {
            start += 1;
            steps += 1;
        }
        if start < n && slice[start] < hash {
            start += slice[start..].partition_point(|x| *x < hash);
        }
    } else {
        while start > 0 && slice[start - 1] >= hash && steps < WALK {
            start -= 1;
            steps += 1;
        }
        if start > 0 && slice[start - 1] >= hash {
            start = slice[..start].partition_point(|x| *x < hash);
        }
    }
    let run = &slice[start..];
    let end = match run.iter().take(LONG).position(|x| *x != hash) {
        Some(len) => start + len,
        None => start + run.partition_point(|x| *x <= hash),
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
            let slice: Vec<u32> = values.iter().map(|v| top | v).collect();
            let hash = top | probe;
            let expected = (slice.partition_point(|x| *x < hash), slice.partition_point(|x| *x <= hash));
            proptest::prop_assert_eq!(find_run(&slice, hash, 16), expected);
            if let Some(&present) = slice.get(slice.len() / 2) {
                let expected = (slice.partition_point(|x| *x < present), slice.partition_point(|x| *x <= present));
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
            for (&hash, range) in probes.iter().zip(sorted.lookup_many(&probes)) {
                let expected = expect(hash);
                proptest::prop_assert_eq!(sorted.docs_in(range), expected.as_slice());
                proptest::prop_assert_eq!(sorted.docs_in(sorted.run(hash)), expected.as_slice());
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
