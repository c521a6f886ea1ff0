//! Rollout budget presets sized from the data, and an up-front estimate of what a budget buys.

use gepa_core::RunConfig;
use gepa_providers::price::PriceTable;

/// A budget preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetPreset {
    /// About 6 proposals: a quick look.
    Light,
    /// About 15 proposals.
    Medium,
    /// About 40 proposals.
    Heavy,
}

impl BudgetPreset {
    /// Every preset.
    pub const ALL: [BudgetPreset; 3] =
        [BudgetPreset::Light, BudgetPreset::Medium, BudgetPreset::Heavy];

    /// Label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            BudgetPreset::Light => "Light",
            BudgetPreset::Medium => "Medium",
            BudgetPreset::Heavy => "Heavy",
        }
    }

    fn proposals(self) -> u64 {
        match self {
            BudgetPreset::Light => 6,
            BudgetPreset::Medium => 15,
            BudgetPreset::Heavy => 40,
        }
    }

    /// The rollout budget for this preset: the seed's validation pass plus, per proposal, the
    /// parent and child minibatches and (for the accepted share) a validation pass.
    #[must_use]
    pub fn rollouts(self, val: usize, minibatch: usize) -> u64 {
        let n = self.proposals();
        let val = val.max(1) as u64;
        let per_proposal = 2 * minibatch.max(1) as u64;
        val + n * per_proposal + (n * val).div_ceil(ACCEPT_DENOMINATOR)
    }
}

/// Assumed share of proposals accepted (1 in 3), for estimates.
const ACCEPT_DENOMINATOR: u64 = 3;

/// What the user's data and prompt look like, for estimating tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    /// Validation examples.
    pub val: usize,
    /// Characters of one rendered task prompt (system + user), typical.
    pub prompt_chars: usize,
    /// Characters of a typical expected answer (outputs are assumed a bit longer).
    pub answer_chars: usize,
    /// Characters of the components being optimised.
    pub component_chars: usize,
}

/// What a budget buys, roughly.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Proposals the budget pays for.
    pub proposals: u64,
    /// Task-model tokens (input + output).
    pub task_tokens: u64,
    /// Reflection-model tokens.
    pub reflection_tokens: u64,
    /// Dollars, when both models' prices are known.
    pub cost_usd: Option<f64>,
    /// Most rollouts the run can use beyond the budget.
    pub overshoot: u64,
}

fn tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

/// Estimates what `budget` rollouts buy with these sizes and options.
#[must_use]
pub fn estimate(
    budget: u64,
    config: &RunConfig,
    sizes: Sizes,
    prices: &PriceTable,
    models: (&str, &str),
) -> Estimate {
    let val = sizes.val.max(1) as u64;
    let mb = config.minibatch_size.max(1) as u64;
    let per_proposal_x3 = 6 * mb + val;
    let proposals = (budget.saturating_sub(val) * ACCEPT_DENOMINATOR) / per_proposal_x3.max(1);
    let out_chars = sizes.answer_chars.max(8) * 2;
    let per_rollout = tokens(sizes.prompt_chars) + tokens(out_chars);
    let task_tokens = budget * per_rollout;
    let reflection_in = tokens(sizes.component_chars + 600)
        + mb * (tokens(sizes.prompt_chars) + tokens(out_chars) + 40);
    let reflection_tokens = proposals * (reflection_in + tokens(sizes.component_chars) + 50);
    let cost = |model: &str, input: u64, output: u64| {
        prices
            .price(model)
            .map(|p| (input as f64 * p.input_per_mtok + output as f64 * p.output_per_mtok) / 1e6)
    };
    let task_cost = cost(models.0, budget * tokens(sizes.prompt_chars), budget * tokens(out_chars));
    let reflection_cost =
        cost(models.1, proposals * reflection_in, proposals * (tokens(sizes.component_chars) + 50));
    Estimate {
        proposals,
        task_tokens,
        reflection_tokens,
        cost_usd: task_cost.zip(reflection_cost).map(|(a, b)| a + b),
        overshoot: config.max_overshoot(sizes.val),
    }
}

impl Estimate {
    /// One line for people.
    #[must_use]
    pub fn describe(&self) -> String {
        let cost = self.cost_usd.map_or_else(
            || "cost unknown for these models (tokens only)".to_owned(),
            |c| format!("≈ ${c:.2}"),
        );
        let overshoot = if self.overshoot == 0 {
            "never exceeds the budget".to_owned()
        } else {
            format!("may exceed the budget by up to {} rollouts", self.overshoot)
        };
        format!(
            "≈ {} proposals, ≈ {} task tokens + ≈ {} reflection tokens, {cost}; {overshoot}.",
            self.proposals,
            group(self.task_tokens),
            group(self.reflection_tokens)
        )
    }
}

/// 12345 → "12.3k".
#[must_use]
pub fn group(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gepa_core::config::BudgetMode;

    const SIZES: Sizes =
        Sizes { val: 10, prompt_chars: 400, answer_chars: 10, component_chars: 200 };

    #[test]
    fn presets_grow_and_scale_with_the_data() {
        let [l, m, h] = BudgetPreset::ALL.map(|p| p.rollouts(10, 3));
        assert!(l < m && m < h, "{l} {m} {h}");
        assert_eq!(l, 10 + 6 * 6 + 20);
        assert!(BudgetPreset::Light.rollouts(100, 3) > l);
    }

    #[test]
    fn the_estimate_inverts_the_preset_and_prices_known_models() {
        let config = RunConfig::default();
        let budget = BudgetPreset::Medium.rollouts(SIZES.val, config.minibatch_size);
        let prices = PriceTable::default();
        let e = estimate(budget, &config, SIZES, &prices, ("gpt-4o-mini", "gpt-4o-mini"));
        assert!((14..=16).contains(&e.proposals), "{e:?}");
        assert!(e.cost_usd.is_some_and(|c| c > 0.0));
        assert_eq!(e.overshoot, 0);
        assert!(e.describe().contains("never exceeds"));
        let unknown = estimate(budget, &config, SIZES, &prices, ("my-local", "my-local"));
        assert_eq!(unknown.cost_usd, None);
        assert!(unknown.describe().contains("tokens only"));
        let reference = RunConfig { budget_mode: BudgetMode::Reference, ..RunConfig::default() };
        assert!(estimate(budget, &reference, SIZES, &prices, ("a", "b")).overshoot > 0);
        assert_eq!(group(12_345), "12.3k");
    }
}
