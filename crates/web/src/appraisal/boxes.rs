//! The ballot boxes: each open round's ballots, held in this process's memory until the round closes, already
//! reduced to counts per member and grade, so not even memory keeps one voter's ballot whole.
//!
//! A round is held by the process that opened it (its `holder` in the database). Another process, or this one
//! after a restart, has no box for it: if nobody has voted yet it takes the round over, otherwise the ballots cast
//! are lost and the round must be re-run, which the round's page says plainly. Several processes serving one
//! database must therefore send a round's requests to one process (docs/scaling.md).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use mingjing_storage::{BallotRound, Grade};

use crate::{AppError, AppState};

/// One round's box.
#[derive(Debug, Default)]
pub struct BallotBox {
    /// Per graded member, votes per grade in [`Grade::ALL`] order.
    counts: HashMap<String, [i64; 4]>,
    ballots: i64,
    /// The codes printed for the round, kept so the secretary can print the page again; gone with the box.
    pub codes: Vec<String>,
    /// Set under the lock when the round closes, so a vote that waited for the lock is refused.
    pub closed: bool,
}

impl BallotBox {
    /// Adds one ballot that was already checked whole.
    pub fn add(&mut self, choices: &[(String, Grade)]) {
        for (member_id, grade) in choices {
            self.counts.entry(member_id.clone()).or_default()[grade.index()] += 1;
        }
        self.ballots += 1;
    }

    pub fn ballots(&self) -> i64 {
        self.ballots
    }

    /// The choices as rows to store, one per (member, grade) chosen; the store shuffles them.
    pub fn choices(&self) -> Vec<(String, Grade)> {
        let mut rows = Vec::new();
        for (member_id, counts) in &self.counts {
            for (grade, n) in Grade::ALL.into_iter().zip(counts) {
                rows.extend((0..*n).map(|_| (member_id.clone(), grade)));
            }
        }
        rows
    }
}

type Shared = Arc<tokio::sync::Mutex<BallotBox>>;

/// Every box of this process, and the id that marks the rounds it holds.
#[derive(Debug, Clone)]
pub struct BallotBoxes {
    instance: Arc<str>,
    boxes: Arc<Mutex<HashMap<String, Shared>>>,
}

impl Default for BallotBoxes {
    fn default() -> Self {
        let mut bytes = [0u8; 16];
        // Only has to differ between processes and restarts; the time-ordered id is a fallback.
        let instance = match getrandom::fill(&mut bytes) {
            Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            Err(_) => mingjing_storage::new_id(),
        };
        Self { instance: instance.into(), boxes: Arc::default() }
    }
}

/// Where a round's box is.
#[derive(Debug)]
pub enum BoxState {
    Ready(Shared),
    /// Ballots were cast into a box this process does not have (a restart, or another process).
    Lost {
        cast: i64,
    },
}

impl BallotBoxes {
    pub fn instance(&self) -> &str {
        &self.instance
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Shared>> {
        // A panic while holding this lock cannot leave the map half-changed: every change is one insert or remove.
        self.boxes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new box for a round this process just opened.
    pub fn create(&self, round_id: &str, codes: Vec<String>) -> Shared {
        let shared = Arc::new(tokio::sync::Mutex::new(BallotBox { codes, ..BallotBox::default() }));
        self.map().insert(round_id.to_owned(), Arc::clone(&shared));
        shared
    }

    pub fn remove(&self, round_id: &str) {
        self.map().remove(round_id);
    }

    /// This process's box of a round, if it has one; reading a page never takes a round over.
    pub fn get(&self, round_id: &str) -> Option<Shared> {
        self.map().get(round_id).cloned()
    }

    /// The box of an open round: this process's, or a new one if the round had no ballots cast and could be taken
    /// over from the process that held it.
    pub async fn find(&self, state: &AppState, round: &BallotRound) -> Result<BoxState, AppError> {
        if let Some(found) = self.get(&round.id) {
            return Ok(BoxState::Ready(found));
        }
        if round.holder == *self.instance
            || state.store.take_over_round(&round.id, &round.holder, &self.instance).await?
        {
            let cast = state.store.ballots_cast(&round.id).await?;
            if cast == 0 {
                let mut map = self.map();
                let shared = map.entry(round.id.clone()).or_default();
                return Ok(BoxState::Ready(Arc::clone(shared)));
            }
            return Ok(BoxState::Lost { cast });
        }
        Ok(BoxState::Lost { cast: state.store.ballots_cast(&round.id).await? })
    }
}
