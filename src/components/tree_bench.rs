//! The tree benchmark page (`?bench=tree&n=1000`): renders a synthetic tree of `n` candidates,
//! then adds nodes one at a time, and writes the timings into the page as JSON for
//! `bench/app.mjs` to read. Not a test: numbers go to BENCHMARKS.md.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::candidate_tree::CandidateTree;
use crate::controller::RunController;
use crate::state::history::RunHistory;
use crate::state::run_view::RunView;
use crate::state::tree_model::TreeModel;
use crate::transport::precise_ms as now_ms;

const ADDED: usize = 60;

/// Lets effects run, then forces style and layout so the timing includes the browser's work.
async fn settle() {
    leptos::task::tick().await;
    leptos::task::tick().await;
    if let Some(svg) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("svg.tree").ok().flatten())
    {
        let _ = svg.get_bounding_client_rect();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
}

/// The benchmark page.
#[component]
pub fn TreeBench(
    /// Synthetic candidates to start with.
    n: usize,
) -> impl IntoView {
    let controller = expect_context::<RunController>();
    let result = RwSignal::new(String::new());
    spawn_local(async move {
        settle().await;
        let history = RunHistory::synthetic(n, 7);
        let t = now_ms();
        let model = TreeModel::build(&history, false);
        let layout_ms = now_ms() - t;
        drop(model);
        let t = now_ms();
        controller.view.set(Some(RunView::of_history(history)));
        settle().await;
        let first_render_ms = now_ms() - t;
        let mut rng = gepa_core::Rng::from_seed(11);
        let mut per_node = Vec::with_capacity(ADDED);
        for k in 0..ADDED {
            let t = now_ms();
            controller.view.update(|v| {
                if let Some(v) = v {
                    v.history.push_synthetic(n + k, &mut rng);
                }
            });
            settle().await;
            per_node.push(now_ms() - t);
        }
        per_node.sort_by(f64::total_cmp);
        let nodes = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector_all("svg.tree .node").ok())
            .map_or(0, |l| l.length());
        result.set(format!(
            "{{\"n\":{n},\"layout_ms\":{layout_ms:.2},\"first_render_ms\":{first_render_ms:.1},\"per_node_median_ms\":{:.2},\"per_node_p95_ms\":{:.2},\"per_node_max_ms\":{:.2},\"nodes_drawn\":{nodes}}}",
            percentile(&per_node, 0.5),
            percentile(&per_node, 0.95),
            percentile(&per_node, 1.0),
        ));
    });
    view! {
        <main class="workspace">
            <section class="panel span-all">
                <h2>"Tree benchmark"</h2>
                <CandidateTree/>
                <pre data-testid="bench-result">{move || result.get()}</pre>
            </section>
        </main>
    }
}
