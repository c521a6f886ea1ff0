//! Engine CPU per iteration with 200 validation examples and a pool of 100 candidates.
//!
//! The model is scripted (instant, deterministic replies whose correctness depends on a hash of
//! the prompt), so the time measured is the engine's own work plus a trivial reply function:
//! selection over the front, sampling, rendering, screening, scoring and bookkeeping.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use gepa_core::config::{Acceptance, StopConditions};
use gepa_core::{
    Candidate, Dataset, Engine, Example, MetricSpec, Program, Purpose, Reply, Request, RunConfig,
    RunSetup,
};

fn main() {
    divan::main();
}

fn data() -> Dataset {
    let make =
        |k: usize| Example::new([("q", format!("question number {k}"))], format!("a{}", k % 7));
    Dataset { train: (0..60).map(make).collect(), val: (1000..1200).map(make).collect() }
}

fn hash(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn reply(request: &Request, counter: &mut u64) -> Reply {
    match &request.purpose {
        Purpose::Reflect { .. } => {
            *counter += 1;
            Reply::text(format!("```\nAnswer precisely, variant {counter}.\n```"))
        }
        _ => {
            let system = &request.messages[0].content;
            let user = &request.messages[1].content;
            let k: usize = user.rsplit(' ').next().unwrap().parse().unwrap();
            let right = hash(system) ^ hash(user);
            Reply::text(if right.is_multiple_of(3) {
                format!("b{}", k % 7)
            } else {
                format!("a{}", k % 7)
            })
        }
    }
}

fn run_until(engine: &mut Engine, counter: &mut u64, done: impl Fn(&Engine) -> bool) {
    let mut now = 0;
    while !done(engine) && !engine.is_finished() {
        for request in engine.take_requests(now) {
            now += 1;
            let r = reply(&request, counter);
            engine.handle_reply(request.id, r, now);
        }
        engine.drain_events();
    }
}

/// An engine whose pool already holds 100 candidates.
fn warmed_up() -> (Engine, u64) {
    let setup = RunSetup {
        config: RunConfig {
            seed: 1,
            acceptance: Acceptance::ImprovementOrEqual,
            skip_perfect_score: false,
            cache_evaluations: false,
            stop: StopConditions { max_rollouts: Some(10_000_000), ..StopConditions::default() },
            ..RunConfig::default()
        },
        program: Program::single_prompt("system", "{{q}}"),
        seed: Candidate::new([("system", "Answer.")]),
        data: data(),
        metric: MetricSpec::ExactMatch { case_sensitive: true },
    };
    let mut engine = Engine::new(setup).unwrap();
    let mut counter = 0;
    run_until(&mut engine, &mut counter, |e| e.pool().len() >= 100);
    (engine, counter)
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn ten_iterations_at_100_candidates(bencher: divan::Bencher<'_, '_>) {
    let (engine, counter) = warmed_up();
    bencher.with_inputs(|| (engine.clone(), counter)).bench_local_values(
        |(mut engine, mut counter)| {
            let target = engine.iterations() + 10;
            run_until(&mut engine, &mut counter, |e| e.iterations() >= target);
            engine
        },
    );
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn save_state_at_100_candidates(bencher: divan::Bencher<'_, '_>) {
    let (engine, _) = warmed_up();
    bencher.bench_local(|| engine.save().unwrap().len());
}
