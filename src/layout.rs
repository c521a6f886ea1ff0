//! The page's layout regions: what each one is for and where it sits.
//!
//! Kept as data so the view stays a loop and tests can check the layout without a browser.

/// One region of the playground page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Stable identifier, used for the element id and `data-testid`.
    pub id: &'static str,
    /// Heading shown to the user.
    pub title: &'static str,
    /// One sentence on what the region will hold.
    pub summary: &'static str,
    /// CSS grid area name (see `static/app.css`).
    pub area: &'static str,
}

/// Every region, in reading (and keyboard focus) order.
pub const REGIONS: [Region; 5] = [
    Region {
        id: "settings",
        title: "Endpoints",
        summary: "Point the playground at your own model: OpenAI-compatible, Anthropic, or a local \
                  Ollama, llama.cpp or vLLM server. Keys stay in this tab unless you choose otherwise.",
        area: "settings",
    },
    Region {
        id: "dataset",
        title: "Dataset",
        summary: "Paste CSV, TSV, JSON or JSONL, or pick an example task. Rows are split into \
                  training, validation and held-out test sets.",
        area: "dataset",
    },
    Region {
        id: "prompt",
        title: "Program and metric",
        summary: "The seed instruction GEPA evolves, the user template with {{field}} \
                  placeholders, and how each output is scored.",
        area: "prompt",
    },
    Region {
        id: "run",
        title: "Run",
        summary: "Budget, metric and strategy; start, pause, step and stop the optimizer and \
                  follow its progress.",
        area: "run",
    },
    Region {
        id: "tree",
        title: "Candidate tree",
        summary: "Every accepted prompt, its parent, its validation score and whether it is on \
                  the Pareto front, growing live as the run proceeds.",
        area: "tree",
    },
];

#[cfg(test)]
mod tests {
    use super::REGIONS;

    #[test]
    fn region_ids_are_unique_and_non_empty() {
        let mut ids: Vec<_> = REGIONS.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), REGIONS.len());
        assert!(REGIONS.iter().all(|r| !r.title.is_empty() && !r.summary.is_empty()));
    }

    #[test]
    fn regions_cover_the_five_areas_later_issues_fill() {
        let ids: Vec<_> = REGIONS.iter().map(|r| r.id).collect();
        assert_eq!(ids, ["settings", "dataset", "prompt", "run", "tree"]);
    }
}
