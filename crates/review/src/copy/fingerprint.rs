//! Fingerprints by winnowing (Schleimer, Wilkerson and Aiken, 2003): hash every k-gram of
//! a skeleton and keep the smallest hash of each window of `w` consecutive k-grams. Two
//! texts sharing a run of at least `w + k - 1` chars then share at least one fingerprint,
//! while only about `2 / (w + 1)` of the positions are stored.

/// A k-gram hash and where its k-gram starts in the skeleton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub hash: u64,
    pub pos: u32,
}

/// Odd multiplier of the polynomial rolling hash (from the golden ratio).
const BASE: u64 = 0x9E37_79B9_7F4A_7C15;

/// Spreads a char over 64 bits so that neighbouring code points hash apart.
fn mix(c: char) -> u64 {
    let mut x = u64::from(c) ^ 0x5851_F42D_4C95_7F2D;
    x = (x ^ (x >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

/// The rolling hash of every k-gram, in order: `hashes[i]` covers `chars[i..i + k]`.
pub fn kgram_hashes(chars: &[char], k: usize) -> Vec<u64> {
    if k == 0 || chars.len() < k {
        return Vec::new();
    }
    let top = (1..k).fold(1u64, |acc, _| acc.wrapping_mul(BASE));
    let mut hashes = Vec::with_capacity(chars.len() - k + 1);
    let mut h = chars[..k].iter().fold(0u64, |acc, &c| acc.wrapping_mul(BASE).wrapping_add(mix(c)));
    hashes.push(h);
    for i in k..chars.len() {
        h = h.wrapping_sub(mix(chars[i - k]).wrapping_mul(top)).wrapping_mul(BASE).wrapping_add(mix(chars[i]));
        hashes.push(h);
    }
    // The polynomial hash's low bits are weak; a final mix makes every bit count, which
    // the index relies on when it keeps only 32 of them.
    hashes.iter_mut().for_each(|h| *h = finish(*h));
    hashes
}

/// A bijection that spreads a selected (and so small) fingerprint hash over the whole range again.
pub(crate) fn remix(hash: u64) -> u64 {
    finish(hash ^ 0x2545_F491_4F6C_DD1D)
}

fn finish(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

/// Winnowing over precomputed k-gram hashes: in each window of `w` hashes the smallest
/// (the rightmost on ties) is selected, and each selection is reported once.
pub fn winnow(hashes: &[u64], w: usize) -> Vec<Fingerprint> {
    let w = w.max(1);
    let mut out: Vec<Fingerprint> = Vec::with_capacity(hashes.len() * 2 / (w + 1) + 2);
    if hashes.is_empty() {
        return out;
    }
    if hashes.len() <= w {
        if let Some((pos, &hash)) = hashes.iter().enumerate().rev().min_by_key(|(_, h)| **h) {
            out.push(Fingerprint { hash, pos: pos as u32 });
        }
        return out;
    }
    // A monotone deque of candidate minima makes this linear in the text's length.
    let mut deque: std::collections::VecDeque<usize> = std::collections::VecDeque::with_capacity(w);
    let mut last: Option<usize> = None;
    for (i, &h) in hashes.iter().enumerate() {
        while deque.back().is_some_and(|&j| hashes[j] >= h) {
            deque.pop_back();
        }
        deque.push_back(i);
        if deque.front().is_some_and(|&j| j + w <= i) {
            deque.pop_front();
        }
        if i + 1 >= w {
            if let Some(&min) = deque.front() {
                if last != Some(min) {
                    out.push(Fingerprint { hash: hashes[min], pos: min as u32 });
                    last = Some(min);
                }
            }
        }
    }
    out
}

/// Fingerprints of a skeleton: the same as [`winnow`] over [`kgram_hashes`], in one pass with no vector of all
/// the k-gram hashes and one `mix` per char. The index build and candidate retrieval spend much of their time here,
/// so the window's minimum is kept as a plain position (robust winnowing, as in the paper) and the window is only
/// scanned again when that minimum leaves it, about once in `w` steps.
pub fn fingerprints(chars: &[char], k: usize, w: usize) -> Vec<Fingerprint> {
    let w = w.max(1);
    if k == 0 || chars.len() < k + w {
        return winnow(&kgram_hashes(chars, k), w);
    }
    let grams = chars.len() - k + 1;
    let top = (1..k).fold(1u64, |acc, _| acc.wrapping_mul(BASE));
    // The mixes of the k chars in the current k-gram; the one leaving and the one entering share a slot.
    let mut ring: Vec<u64> = chars[..k].iter().map(|&c| mix(c)).collect();
    let mut h = ring.iter().fold(0u64, |acc, &m| acc.wrapping_mul(BASE).wrapping_add(m));
    let mut slot = 0;
    // The last w k-gram hashes, k-gram i at i % w; `at` follows i % w without dividing.
    let mut window = vec![0u64; w];
    let mut at = 0;
    // Room for a fingerprint per k-gram, the most there can be: each window's minimum is written unconditionally and
    // counted only if new, as a branch on it (taken for about one k-gram in four, at random) mispredicted often
    // enough to cost a quarter of the time.
    let mut out = vec![Fingerprint { hash: 0, pos: 0 }; grams];
    let mut count = 0;
    // The rightmost smallest hash of the window, and the position last reported.
    let (mut min_pos, mut min) = (0usize, u64::MAX);
    let mut last = usize::MAX;
    for i in 0..grams {
        if i > 0 {
            let entering = mix(chars[i + k - 1]);
            h = h.wrapping_sub(ring[slot].wrapping_mul(top)).wrapping_mul(BASE).wrapping_add(entering);
            ring[slot] = entering;
            slot = if slot + 1 == k { 0 } else { slot + 1 };
        }
        let hash = finish(h);
        window[at] = hash;
        at = if at + 1 == w { 0 } else { at + 1 };
        if i >= w && min_pos <= i - w {
            // The minimum left the window: scan it again, oldest first (it starts at `at`).
            let (offset, value) = rightmost_min(&window, at);
            (min_pos, min) = (i + 1 - w + offset, value);
        } else if hash <= min {
            (min_pos, min) = (i, hash);
        }
        if i + 1 >= w {
            out[count] = Fingerprint { hash: min, pos: min_pos as u32 };
            count += usize::from(min_pos != last);
            last = min_pos;
        }
    }
    out.truncate(count);
    out
}

/// The rightmost smallest hash of a full window whose oldest hash stands at `oldest`: its age order and value.
fn rightmost_min(window: &[u64], oldest: usize) -> (usize, u64) {
    let (newer, older) = window.split_at(oldest);
    let mut best = (0, u64::MAX);
    for (age, &value) in older.iter().chain(newer).enumerate() {
        if value <= best.1 {
            best = (age, value);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn equal_kgrams_hash_equal_wherever_they_stand() {
        let a = kgram_hashes(&chars("甲乙丙丁戊己庚"), 3);
        let b = kgram_hashes(&chars("丙丁戊"), 3);
        assert_eq!(a[2], b[0]);
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn winnowing_keeps_about_two_in_w_plus_one() {
        let text: Vec<char> =
            (0..20_000).map(|i| char::from_u32(0x4E00 + (i * 7919 % 20_000) as u32).unwrap_or('字')).collect();
        let fps = fingerprints(&text, 13, 8);
        let density = fps.len() as f64 / text.len() as f64;
        assert!((0.15..0.30).contains(&density), "{density}");
    }

    proptest! {
        /// The one-pass fingerprints are exactly winnowing over all k-gram hashes.
        #[test]
        fn one_pass_fingerprints_equal_winnowing_the_hashes(text in "[一-龥a-c，。]{0,300}", k in 1usize..16, w in 1usize..12) {
            let chars = chars(&text);
            prop_assert_eq!(fingerprints(&chars, k, w), winnow(&kgram_hashes(&chars, k), w));
        }

        /// The winnowing guarantee: a shared run of w + k - 1 chars yields a shared
        /// fingerprint, whatever surrounds it.
        #[test]
        fn shared_run_of_w_plus_k_minus_1_is_always_found(
            left in "[一-龥]{0,40}", right in "[一-龥]{0,40}", shared in "[一-龥]{20}", other in "[一-龥]{0,40}"
        ) {
            let (k, w) = (13, 8);
            let a = chars(&format!("{left}{shared}{right}"));
            let b = chars(&format!("{other}{shared}"));
            let fa: std::collections::HashSet<u64> = fingerprints(&a, k, w).iter().map(|f| f.hash).collect();
            prop_assert!(fingerprints(&b, k, w).iter().any(|f| fa.contains(&f.hash)));
        }
    }
}
