//! What the public opinion form keeps in memory, and only there: a token bucket per
//! channel (the rate limit) and the one-time form ids already used (so a double click or
//! a reload does not give an opinion twice). Neither says who submitted: the bucket is per
//! channel, not per person or address, and a form id is a random number the form was
//! rendered with, never stored in the database nor tied to the opinion.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A channel takes this many opinions at once…
pub const BURST: f64 = 30.0;
/// …and then one per this many milliseconds: a branch meeting of fifty people scanning the
/// QR code in five minutes gets through, a script filling the channel does not.
pub const REFILL_MS: f64 = 10_000.0;
/// How long a used form id is remembered.
const FORM_ID_TTL_MS: i64 = 24 * 3_600_000;
/// Past this many remembered form ids, expired ones are dropped before adding another.
const FORM_ID_PRUNE_AT: usize = 10_000;

/// The in-memory state of every channel's public form, shared by the server's handlers.
#[derive(Debug, Clone, Default)]
pub struct OpinionGate {
    inner: Arc<Mutex<GateState>>,
}

#[derive(Debug, Default)]
struct GateState {
    /// Channel id → (tokens left, when last counted).
    buckets: HashMap<String, (f64, i64)>,
    /// Form id → when it may be forgotten.
    used: HashMap<String, i64>,
}

/// Why the gate turned a submission away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This form was already submitted.
    AlreadyUsed,
    /// The channel is taking opinions faster than its rate.
    TooFast,
}

impl OpinionGate {
    /// Claims the form id and one token of the channel's bucket, or says why not. Give the
    /// claim back with [`OpinionGate::release`] if the opinion is then not stored.
    pub fn admit(&self, channel_id: &str, form_id: &str, now: i64) -> Result<(), Refusal> {
        // A poisoned lock only means a panic elsewhere mid-update; the maps stay usable.
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if state.used.get(form_id).is_some_and(|&until| until > now) {
            return Err(Refusal::AlreadyUsed);
        }
        let (tokens, at) = state.buckets.get(channel_id).copied().unwrap_or((BURST, now));
        let tokens = (tokens + (now - at).max(0) as f64 / REFILL_MS).min(BURST);
        if tokens < 1.0 {
            state.buckets.insert(channel_id.to_owned(), (tokens, now));
            return Err(Refusal::TooFast);
        }
        state.buckets.insert(channel_id.to_owned(), (tokens - 1.0, now));
        if state.used.len() >= FORM_ID_PRUNE_AT {
            state.used.retain(|_, until| *until > now);
        }
        state.used.insert(form_id.to_owned(), now + FORM_ID_TTL_MS);
        Ok(())
    }

    /// Gives back what [`OpinionGate::admit`] took, for an opinion that was not stored.
    pub fn release(&self, channel_id: &str, form_id: &str) {
        let mut state = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        state.used.remove(form_id);
        if let Some((tokens, _)) = state.buckets.get_mut(channel_id) {
            *tokens = (*tokens + 1.0).min(BURST);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_channel_waits_for_its_refill() {
        let gate = OpinionGate::default();
        for i in 0..30 {
            assert_eq!(gate.admit("c", &format!("f{i}"), 0), Ok(()), "{i}");
        }
        assert_eq!(gate.admit("c", "f30", 0), Err(Refusal::TooFast));
        assert_eq!(gate.admit("other", "g0", 0), Ok(()), "channels are limited apart");
        assert_eq!(gate.admit("c", "f30", 9_999), Err(Refusal::TooFast));
        assert_eq!(gate.admit("c", "f30", 10_000), Ok(()));
    }

    #[test]
    fn a_form_counts_once_and_a_release_gives_it_back() {
        let gate = OpinionGate::default();
        assert_eq!(gate.admit("c", "f", 0), Ok(()));
        assert_eq!(gate.admit("c", "f", 1), Err(Refusal::AlreadyUsed));
        gate.release("c", "f");
        assert_eq!(gate.admit("c", "f", 2), Ok(()));
        assert_eq!(gate.admit("c", "f", 2 + FORM_ID_TTL_MS), Ok(()), "forgotten after a day");
    }
}
