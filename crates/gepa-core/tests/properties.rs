//! Property tests of engine invariants, driven by the scripted model (see `support`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use gepa_core::config::{MergeConfig, StopConditions};
use gepa_core::frontier::prune_redundant;
use gepa_core::{Engine, Event, Purpose, RunConfig};
use proptest::prelude::*;
use support::{ScriptedModel, arithmetic_data, drive, two_component_setup};

fn config(seed: u64, budget: u64, proposals: usize, merge: bool) -> RunConfig {
    pipelined(seed, budget, proposals, merge, 1)
}

fn pipelined(seed: u64, budget: u64, proposals: usize, merge: bool, depth: usize) -> RunConfig {
    RunConfig {
        seed,
        pipeline_depth: Some(depth),
        cache_evaluations: false,
        proposals_per_iteration: proposals,
        merge: merge.then_some(MergeConfig {
            val_overlap_floor: 2,
            subsample_size: 3,
            max_merges: 3,
        }),
        stop: StopConditions { max_rollouts: Some(budget), ..StopConditions::default() },
        ..RunConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn pruned_front_keeps_a_holder_per_key_and_no_redundant_member(
        raw_sets in prop::collection::vec(prop::collection::btree_set(0usize..8, 1..4), 1..8),
        means in prop::collection::vec(0.0f64..1.0, 8),
    ) {
        let survivors = prune_redundant(&raw_sets, &means);
        for set in &raw_sets {
            prop_assert!(set.iter().any(|idx| survivors.contains(idx)), "a key lost every holder");
        }
        for member in &survivors {
            let redundant = raw_sets
                .iter()
                .filter(|set| set.contains(member))
                .all(|set| set.iter().any(|other| other != member && survivors.contains(other)));
            prop_assert!(!redundant, "#{member} is redundant but survived");
        }
    }

    #[test]
    fn ledger_pool_and_lineage_invariants_hold(
        seed in 0u64..1000, budget in 8u64..90, proposals in 1usize..4, merge in any::<bool>(),
        depth in prop::sample::select(vec![1usize, 2, 4]),
    ) {
        let mut engine = Engine::new(two_component_setup(pipelined(seed, budget, proposals, merge, depth), arithmetic_data(9, 4))).unwrap();
        let mut model = ScriptedModel::new();
        let events = drive(&mut engine, |r| model.reply(r), false);
        prop_assert_eq!(engine.rollouts_used(), model.generate_replies, "ledger = Generate replies consumed");
        prop_assert!(engine.rollouts_used() <= budget.max(4), "strict budget exceeded");
        let admitted = events.iter().filter(|e| matches!(e, Event::ProposalAccepted { .. } | Event::MergeAccepted { .. })).count();
        prop_assert_eq!(engine.pool().len(), 1 + admitted);
        for (idx, entry) in engine.pool().iter().enumerate() {
            prop_assert!(entry.parents.iter().all(|p| *p < idx), "parents precede children");
        }
        let distinct: BTreeSet<u64> = engine.pool().iter().map(|p| p.candidate.content_hash()).collect();
        prop_assert_eq!(distinct.len(), engine.pool().len(), "no duplicate programs in the pool");
    }

    #[test]
    fn save_and_restore_at_a_random_point_then_finishing_equals_the_uninterrupted_run(
        seed in 0u64..1000, cut in 1usize..60, proposals in 1usize..3, merge in any::<bool>(),
        depth in prop::sample::select(vec![1usize, 2, 4]),
    ) {
        let setup = two_component_setup(pipelined(seed, 70, proposals, merge, depth), arithmetic_data(9, 4));
        // Each request is answered the same way whenever it is asked (no call counter): asks a
        // flight made ahead and set aside before the save are not made again after it, so a
        // model counting calls would see fewer of them than the uninterrupted run did.
        let mut reference = Engine::new(setup.clone()).unwrap();
        let reference_events = drive(&mut reference, support::order_free_reply, false);

        let mut engine = Engine::new(setup).unwrap();
        let mut events = Vec::new();
        let mut answered = 0;
        let mut now = 0;
        // Answer replies one at a time until the cut, with the rest of the wave still in flight.
        'outer: while !engine.is_finished() {
            let requests = engine.take_requests(now);
            events.extend(engine.drain_events());
            for request in requests {
                if answered == cut {
                    break 'outer;
                }
                answered += 1;
                now += 1;
                let reply = support::order_free_reply(&request);
                engine.handle_reply(request.id, reply, now);
            }
        }
        events.extend(engine.drain_events());
        let saved = engine.save().unwrap();
        drop(engine);
        let mut restored = Engine::restore(&saved).unwrap();
        events.extend(drive(&mut restored, support::order_free_reply, false));
        prop_assert_eq!(&events, &reference_events);
        prop_assert_eq!(restored.rollouts_used(), reference.rollouts_used());
        prop_assert_eq!(restored.pool(), reference.pool());
    }

    #[test]
    fn reply_order_never_changes_the_run(seed in 0u64..1000, proposals in 1usize..4) {
        let setup = two_component_setup(config(seed, 60, proposals, true), arithmetic_data(9, 4));
        let run = |reverse: bool| {
            let mut engine = Engine::new(setup.clone()).unwrap();
            // Deterministic per request: no counter, so order cannot leak in through the model.
            let events = drive(&mut engine, |r| match &r.purpose {
                Purpose::Reflect { component, .. } if component == "add_rule" => gepa_core::Reply::text("```\nYou add the numbers when it says plus.\n```"),
                Purpose::Reflect { .. } => gepa_core::Reply::text("```\nMultiply when it says times.\n```"),
                _ => support::scripted_task(r),
            }, reverse);
            (events, engine.rollouts_used())
        };
        prop_assert_eq!(run(false), run(true));
    }

    #[test]
    fn reply_timing_never_changes_a_pipelined_run(
        seed in 0u64..1000, proposals in 1usize..3, merge in any::<bool>(),
        depth in prop::sample::select(vec![1usize, 2, 4]), budget in 20u64..90, order in any::<u64>(),
        cache in any::<bool>(),
    ) {
        // With the cache on (and the task model deterministic), parents' minibatch results come
        // from it too, so what an iteration may reuse must not depend on timing either.
        let config = RunConfig {
            cache_evaluations: cache,
            reuse_minibatch_results: cache,
            ..pipelined(seed, budget, proposals, merge, depth)
        };
        let setup = two_component_setup(config, arithmetic_data(9, 4));
        let mut in_order = Engine::new(setup.clone()).unwrap();
        let expected = drive(&mut in_order, support::order_free_reply, false);
        let mut shuffled = Engine::new(setup).unwrap();
        let events = support::drive_shuffled(&mut shuffled, support::order_free_reply, order);
        prop_assert!(events == expected, "{}", support::first_difference(&events, &expected).unwrap_or_default());
        prop_assert_eq!(shuffled.rollouts_used(), in_order.rollouts_used());
        prop_assert_eq!(shuffled.pool(), in_order.pool());
        prop_assert!(shuffled.rollouts_used() <= budget, "strict budget exceeded");
    }
}
