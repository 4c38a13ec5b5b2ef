//! The random source. Every draw goes through `next_u64` of a ChaCha8 stream and is
//! turned into a range or a probability here, with integer arithmetic where possible,
//! so a corpus depends only on the seed, the configuration and this crate's code —
//! never on rand's sampling algorithms, which change between versions.

use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

/// Which stream of the seed a document's randomness comes from. Documents get their
/// own streams, so one document's draws never shift another's.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Template = 1,
    Author = 2,
    Member = 3,
    Previous = 4,
}

#[derive(Debug, Clone)]
pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    pub(crate) fn new(seed: u64, stream: Stream, index: u64) -> Self {
        let mut rng = ChaCha8Rng::from_seed(key(seed));
        rng.set_stream(((stream as u64) << 56) | (index & ((1 << 56) - 1)));
        Self(rng)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n`; 0 when `n` is 0. Lemire's multiply-and-reject, unbiased.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let wide = u128::from(self.next_u64()) * u128::from(n);
            if (wide as u64) >= threshold {
                return (wide >> 64) as usize;
            }
        }
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }

    /// An index drawn with the given non-negative weights; `None` if they sum to 0.
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> Option<usize> {
        let total: f64 = weights.iter().sum();
        if total <= 0.0 || !total.is_finite() {
            return None;
        }
        let mut target = self.unit() * total;
        let mut last = None;
        for (i, w) in weights.iter().enumerate() {
            if *w <= 0.0 {
                continue;
            }
            if target < *w {
                return Some(i);
            }
            target -= w;
            last = Some(i);
        }
        // Rounding can leave `target` a hair above the last weight.
        last
    }

    /// 1 plus a geometric number of repeats with probability `p` each, at most `cap`.
    pub(crate) fn count(&mut self, p: f64, cap: usize) -> usize {
        let mut n = 1;
        while n < cap && self.chance(p) {
            n += 1;
        }
        n
    }
}

/// Expands the 64-bit seed into a ChaCha key with SplitMix64, written out here rather
/// than `seed_from_u64` so the key is fixed by this crate.
fn key(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut key = [0u8; 32];
    for chunk in key.chunks_exact_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    key
}

/// Zipf-distributed ranks over `n` items: rank k (0-based) has weight 1/(k+1)^1.1.
#[derive(Debug, Clone)]
pub(crate) struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub(crate) fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|k| {
                let k = k as f64;
                total += 1.0 / (k * tenth_root(k));
                total
            })
            .collect();
        Self { cumulative }
    }

    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = rng.unit() * total;
        self.cumulative.partition_point(|c| *c <= target).min(self.cumulative.len().saturating_sub(1))
    }
}

/// x^(1/10) for x ≥ 1 by Newton's method, with only the correctly rounded operations
/// IEEE 754 fixes (+ − × ÷), so the weights — unlike `powf`, which each platform's libm
/// rounds its own way — are the same bits everywhere.
fn tenth_root(x: f64) -> f64 {
    let mut y = 1.0 + (x - 1.0) / 10.0;
    for _ in 0..200 {
        let y9 = y * y * y * y * y * y * y * y * y;
        let next = (9.0 * y + x / y9) / 10.0;
        if next == y {
            break;
        }
        y = next;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_fixed_by_seed_and_index() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, Stream::Member, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, Stream::Member, 3).next_u64(), Rng::new(7, Stream::Member, 4).next_u64());
        assert_ne!(Rng::new(7, Stream::Member, 3).next_u64(), Rng::new(7, Stream::Previous, 3).next_u64());
        assert_ne!(Rng::new(7, Stream::Member, 3).next_u64(), Rng::new(8, Stream::Member, 3).next_u64());
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut rng = Rng::new(1, Stream::Template, 0);
        for n in [1, 2, 3, 10, 1000] {
            for _ in 0..200 {
                assert!(rng.below(n) < n);
            }
        }
        assert_eq!(rng.below(0), 0);
        for _ in 0..200 {
            let r = rng.range(3, 5);
            assert!((3..=5).contains(&r));
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(rng.weighted(&[0.0, 0.0]), None);
        assert_eq!(rng.weighted(&[0.0, 2.0]), Some(1));
    }

    #[test]
    fn tenth_roots() {
        for x in [1.0f64, 2.0, 10.0, 300.0, 1e6] {
            assert!((tenth_root(x) - x.powf(0.1)).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn zipf_favours_low_ranks() {
        let zipf = Zipf::new(300);
        let mut rng = Rng::new(2, Stream::Template, 0);
        let mut counts = [0usize; 300];
        for _ in 0..20_000 {
            counts[zipf.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > 10 * counts[20].max(1));
    }
}
