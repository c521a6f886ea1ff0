//! The progress bar: rollouts against the budget, best score, ETA and cost.

use gepa_core::{Engine, Event};
use indicatif::{ProgressBar, ProgressStyle};

/// A progress display that can be silenced.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar sized to the run's budget (hidden with `quiet`).
    #[must_use]
    pub fn new(engine: &Engine, quiet: bool) -> Progress {
        if quiet {
            return Progress { bar: None };
        }
        let budget = engine.setup().config.stop.max_rollouts.unwrap_or(0);
        let bar = ProgressBar::new(budget);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:30} {pos}/{len} rollouts · {msg} · ETA {eta}")
        {
            bar.set_style(style);
        }
        bar.set_position(engine.rollouts_used());
        Progress { bar: Some(bar) }
    }

    /// Updates from the engine after `events`.
    pub fn update(&self, engine: &Engine, events: &[Event]) {
        let Some(bar) = &self.bar else { return };
        bar.set_position(engine.rollouts_used());
        let best = engine.best().map_or(f64::NAN, |b| engine.pool()[b].mean_score);
        let spend = engine.spend();
        let cost = match (spend.task.cost_usd, spend.reflection.cost_usd) {
            (None, None) => format!(
                "{} tokens",
                spend.task.input_tokens
                    + spend.task.output_tokens
                    + spend.reflection.input_tokens
                    + spend.reflection.output_tokens
            ),
            (a, b) => format!("${:.4}", a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        bar.set_message(format!("best {best:.3} · {} candidates · {cost}", engine.pool().len()));
        for event in events {
            if let Event::CandidateAdded { candidate, mean, is_best: true, .. } = event {
                bar.println(format!("#{candidate} is the new best: val {mean:.3}"));
            }
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
