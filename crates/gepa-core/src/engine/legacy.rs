//! Run states saved before pipelining (format version 1) held one iteration in a single phase;
//! on restore it becomes the one flight of a pipeline.

use serde::{Deserialize, Serialize};

use super::batch::Batch;
use super::flight::{
    Flight, FlightKind, HumanCandidate, IterCtx, MergePlan, Owner, ReflectJob, Stage,
};
use super::{Engine, PendingTarget, Phase};

/// The mid-run phases of format version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub(crate) enum LegacyPhase {
    Between,
    Parents { it: IterCtx, batch: Batch },
    Reflecting { it: IterCtx, jobs: Vec<ReflectJob> },
    Children { it: IterCtx, batch: Batch },
    Validating { it: IterCtx, batch: Batch },
    MergeSubsample { it: IterCtx, merge: MergePlan, batch: Batch },
    MergeValidating { it: IterCtx, merge: MergePlan, batch: Batch },
    Human { human: HumanCandidate, batch: Batch },
}

impl Engine {
    /// Converts a version-1 state: its phase becomes a flight, its requests in flight get their
    /// owner, and everything charged so far counts as committed. (A version-1 seed phase reads
    /// as the current one; only its requests need an owner. Current states have every owner set,
    /// so this changes nothing in them.)
    pub(super) fn upgrade(&mut self) {
        if matches!(self.phase, Phase::Legacy(_))
            && let Phase::Legacy(old) = std::mem::replace(&mut self.phase, Phase::Running)
        {
            self.committed_ledger = self.ledger;
            let iteration = self.iterations;
            let reflective = |it: IterCtx, stage| (it, FlightKind::Reflective, stage);
            let flight = match *old {
                LegacyPhase::Between => None,
                LegacyPhase::Parents { it, batch } => {
                    Some(reflective(it, Stage::Parents { batch }))
                }
                LegacyPhase::Reflecting { it, jobs } => {
                    Some(reflective(it, Stage::Reflecting { jobs }))
                }
                LegacyPhase::Children { it, batch } => {
                    Some(reflective(it, Stage::Children { batch, bases: Vec::new() }))
                }
                LegacyPhase::Validating { it, batch } => {
                    Some(reflective(it, Stage::Validating { batch }))
                }
                LegacyPhase::MergeSubsample { it, merge, batch } => {
                    Some((it, FlightKind::Merge { plan: merge }, Stage::MergeSubsample { batch }))
                }
                LegacyPhase::MergeValidating { it, merge, batch } => {
                    Some((it, FlightKind::Merge { plan: merge }, Stage::MergeValidating { batch }))
                }
                LegacyPhase::Human { human, batch } => {
                    let it = IterCtx {
                        iteration,
                        id: String::new(),
                        tasks: Vec::new(),
                        admitted: Vec::new(),
                    };
                    Some((it, FlightKind::Human { human }, Stage::HumanValidating { batch }))
                }
            };
            if let Some((it, kind, stage)) = flight {
                self.next_seq = self.next_seq.max(1);
                self.flights.push(Flight {
                    seq: 0,
                    it,
                    kind,
                    stage,
                    epoch: self.commits,
                    pool_seen: self.pool.len(),
                    window_from: 0,
                    reserved: 0,
                    ample: true,
                    decided: false,
                    may_rebase: false,
                    charged: 0,
                    published_charge: 0,
                    held: Vec::new(),
                    cache_writes: std::collections::BTreeMap::new(),
                    single: None,
                });
            }
        }
        let owner = match (&self.phase, self.flights.first()) {
            (Phase::Seed { .. }, _) => Owner::Seed,
            (_, Some(f)) => Owner::Flight { seq: f.seq },
            _ => Owner::Seed,
        };
        let only_iteration = self.flights.first().map(|f| f.seq);
        for pending in self.pending.values_mut() {
            match &mut pending.target {
                PendingTarget::Rollout { owner: slot @ None, .. } => *slot = Some(owner),
                PendingTarget::Reflection { iteration: slot @ None, .. } => *slot = only_iteration,
                _ => {}
            }
        }
    }
}
