//! Per-model prices (editable) and the cost of a call. Unknown models show tokens only.

use std::collections::BTreeMap;

use gepa_core::Usage;
use serde::{Deserialize, Serialize};

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// Input (prompt) tokens.
    pub input_per_mtok: f64,
    /// Output (completion) tokens.
    pub output_per_mtok: f64,
}

/// Model name (or name prefix) → price. The longest matching prefix wins, so
/// `gpt-4.1-mini-2025-04-14` is priced as `gpt-4.1-mini`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable(pub BTreeMap<String, Price>);

impl Default for PriceTable {
    /// List prices published by the providers for a few common models. They change: users can
    /// edit the table, and an unknown model simply shows tokens without a cost.
    fn default() -> Self {
        let entries: [(&str, f64, f64); 10] = [
            ("gpt-4.1", 2.0, 8.0),
            ("gpt-4.1-mini", 0.40, 1.60),
            ("gpt-4.1-nano", 0.10, 0.40),
            ("gpt-4o", 2.50, 10.0),
            ("gpt-4o-mini", 0.15, 0.60),
            ("claude-3-5-haiku", 0.80, 4.0),
            ("claude-3-5-sonnet", 3.0, 15.0),
            ("claude-sonnet-4", 3.0, 15.0),
            ("claude-opus-4", 15.0, 75.0),
            ("claude-3-haiku", 0.25, 1.25),
        ];
        PriceTable(
            entries
                .iter()
                .map(|(m, i, o)| {
                    ((*m).to_owned(), Price { input_per_mtok: *i, output_per_mtok: *o })
                })
                .collect(),
        )
    }
}

impl PriceTable {
    /// The price of `model`, by longest matching prefix.
    #[must_use]
    pub fn price(&self, model: &str) -> Option<Price> {
        let model = model.rsplit('/').next().unwrap_or(model);
        self.0
            .iter()
            .filter(|(name, _)| model.starts_with(name.as_str()))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, p)| *p)
    }

    /// `usage` with its cost filled in, when the model's price is known.
    #[must_use]
    pub fn priced(&self, model: &str, usage: Usage) -> Usage {
        let cost_usd = self.price(model).map(|p| {
            (usage.input_tokens as f64 * p.input_per_mtok
                + usage.output_tokens as f64 * p.output_per_mtok)
                / 1_000_000.0
        });
        Usage { cost_usd, ..usage }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_unknown_models_have_no_cost() {
        let table = PriceTable::default();
        assert_eq!(table.price("gpt-4.1-mini-2025-04-14").unwrap().input_per_mtok, 0.40);
        assert_eq!(table.price("gpt-4.1").unwrap().input_per_mtok, 2.0);
        assert_eq!(table.price("openai/gpt-4o-mini").unwrap().output_per_mtok, 0.60);
        let usage = Usage { input_tokens: 1_000_000, output_tokens: 500_000, cost_usd: None };
        let priced = table.priced("gpt-4o-mini", usage);
        assert!((priced.cost_usd.unwrap() - (0.15 + 0.30)).abs() < 1e-12);
        assert_eq!(table.priced("smollm2-135m", usage).cost_usd, None);
    }

    #[test]
    fn the_table_is_editable_and_serialisable() {
        let mut table = PriceTable::default();
        table.0.insert("my-model".into(), Price { input_per_mtok: 1.0, output_per_mtok: 2.0 });
        let back: PriceTable =
            serde_json::from_str(&serde_json::to_string(&table).unwrap()).unwrap();
        assert_eq!(back.price("my-model-v2").unwrap().output_per_mtok, 2.0);
    }
}
