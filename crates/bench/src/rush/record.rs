//! Timings per operation, shared by every simulated person: how many, how many failed (with the first few reasons),
//! and the latency distribution.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many failure reasons are kept to print.
const KEPT_REASONS: usize = 20;

#[derive(Debug, Default)]
struct Op {
    samples: Vec<Duration>,
    errors: usize,
}

#[derive(Debug, Default)]
struct Inner {
    ops: BTreeMap<&'static str, Op>,
    reasons: Vec<String>,
}

/// Every operation's timings.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Inner>>);

/// One operation's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct OpFigures {
    pub name: &'static str,
    pub count: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Recorder {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves at worst one sample unrecorded.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Times `work` as operation `name`: its latency if it succeeds, an error (with its reason) if it fails.
    pub async fn time<T>(
        &self,
        name: &'static str,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let started = Instant::now();
        let outcome = work.await;
        let took = started.elapsed();
        let mut inner = self.inner();
        let op = inner.ops.entry(name).or_default();
        match &outcome {
            Ok(_) => op.samples.push(took),
            Err(e) => {
                op.errors += 1;
                if inner.reasons.len() < KEPT_REASONS {
                    inner.reasons.push(format!("{name}: {e:#}"));
                }
            }
        }
        outcome
    }

    /// A failure outside any timed operation (a wrong count, a missing link).
    pub fn fail(&self, name: &'static str, reason: String) {
        let mut inner = self.inner();
        inner.ops.entry(name).or_default().errors += 1;
        if inner.reasons.len() < KEPT_REASONS {
            inner.reasons.push(format!("{name}: {reason}"));
        }
    }

    pub fn errors(&self) -> usize {
        self.inner().ops.values().map(|op| op.errors).sum()
    }

    pub fn reasons(&self) -> Vec<String> {
        self.inner().reasons.clone()
    }

    /// Every operation's figures, rates over `wall`.
    pub fn figures(&self, wall: Duration) -> Vec<OpFigures> {
        let inner = self.inner();
        inner
            .ops
            .iter()
            .map(|(name, op)| {
                let mut samples = op.samples.clone();
                samples.sort_unstable();
                let at = |q: f64| {
                    if samples.is_empty() {
                        return 0.0;
                    }
                    let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
                    samples[i].as_secs_f64() * 1000.0
                };
                OpFigures {
                    name,
                    count: samples.len(),
                    errors: op.errors,
                    per_second: samples.len() as f64 / wall.as_secs_f64().max(1e-9),
                    p50_ms: at(0.50),
                    p90_ms: at(0.90),
                    p99_ms: at(0.99),
                    max_ms: at(1.0),
                }
            })
            .collect()
    }
}

/// The figures as a Markdown table.
pub fn table(figures: &[OpFigures]) -> String {
    let mut out = String::from(
        "| operation | count | per s | errors | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|\n",
    );
    for f in figures {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {} | {:.0} | {:.0} | {:.0} | {:.0} |",
            f.name, f.count, f.per_second, f.errors, f.p50_ms, f.p90_ms, f.p99_ms, f.max_ms
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn successes_are_timed_and_failures_counted_with_their_reason() {
        let recorder = Recorder::default();
        for _ in 0..3 {
            recorder.time("page", async { Ok(()) }).await.unwrap();
        }
        assert!(recorder.time("page", async { Err::<(), _>(anyhow::anyhow!("boom")) }).await.is_err());
        recorder.fail("ballot", "no link".into());
        let figures = recorder.figures(Duration::from_secs(1));
        let page = figures.iter().find(|f| f.name == "page").unwrap();
        assert_eq!((page.count, page.errors), (3, 1));
        assert!(page.p50_ms <= page.p99_ms && page.p99_ms <= page.max_ms);
        assert_eq!(recorder.errors(), 2);
        assert_eq!(recorder.reasons(), ["page: boom", "ballot: no link"]);
        assert!(table(&figures).contains("| page | 3 |"));
    }
}
