//! The progress bar: rollouts against the budget, best score, ETA and cost, and, while an
//! endpoint is failing, since when it has been retried and when it tries next.

use gepa_core::{Engine, Event};
use gepa_providers::CallMachine;
use indicatif::{ProgressBar, ProgressStyle};

/// A progress display that can be silenced.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Wall-clock milliseconds since the epoch when the machine's clock read 0.
    wall_epoch_ms: u64,
}

impl Progress {
    /// A bar sized to the run's budget (hidden with `quiet`).
    #[must_use]
    pub fn new(engine: &Engine, quiet: bool, wall_epoch_ms: u64) -> Progress {
        if quiet {
            return Progress { bar: None, wall_epoch_ms };
        }
        let budget = engine.setup().config.stop.max_rollouts.unwrap_or(0);
        let bar = ProgressBar::new(budget);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:30} {pos}/{len} rollouts · {msg} · ETA {eta}")
        {
            bar.set_style(style);
        }
        bar.set_position(engine.rollouts_used());
        Progress { bar: Some(bar), wall_epoch_ms }
    }

    /// Updates from the engine after `events`, with the calls' state at `now_ms`.
    pub fn update(&self, engine: &Engine, events: &[Event], machine: &CallMachine, now_ms: u64) {
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
        let mut message = format!("best {best:.3} · {} candidates · {cost}", engine.pool().len());
        for status in machine.status(now_ms).iter().filter(|s| s.retrying()) {
            let wall = self.wall_epoch_ms;
            message.push_str(" · ");
            message.push_str(&status.describe(now_ms, |t| utc_clock(wall + t)));
        }
        bar.set_message(message);
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

/// `HH:MM:SS UTC` of a wall-clock time in milliseconds since the epoch.
#[must_use]
pub fn utc_clock(epoch_ms: u64) -> String {
    let seconds = epoch_ms / 1000 % 86_400;
    format!("{:02}:{:02}:{:02} UTC", seconds / 3600, seconds / 60 % 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_utc() {
        // 2026-12-01 09:19:22 UTC.
        assert_eq!(utc_clock(1_796_116_762_000), "09:19:22 UTC");
    }
}
