use leptos::prelude::*;

use gepa_playground::components::field_problems::SetupProblems;
use gepa_playground::components::{
    candidate_compare::CandidateCompare, candidate_inspector::CandidateInspector,
    candidate_tree::CandidateTree, dataset_panel::DatasetPanel, endpoints_panel::EndpointsPanel,
    event_log_view::EventLogView, imported_result::ImportedResult, metric_picker::MetricPicker,
    program_editor::ProgramEditor, quick_start::QuickStart, region_panel::RegionPanel,
    result_panel::ResultPanel, run_controls::RunControls, run_header::RunHeader,
    saved_runs::SavedRuns, score_chart::ScoreChart, score_heatmap::ScoreHeatmap,
    setup_drawer::SetupDrawer, shared_prompt_page::SharedPromptPage, site_header::SiteHeader,
    strategy_panel::StrategyPanel, tree_bench::TreeBench,
};
use gepa_playground::controller::RunController;
use gepa_playground::layout::REGIONS;
use gepa_playground::setup_context::SetupSignals;

use crate::chunk::ChunkMissing;

/// The whole page: a header, then one panel per layout region.
#[component]
pub fn App() -> impl IntoView {
    let setup = SetupSignals::new();
    provide_context(setup);
    provide_context(SetupProblems(Memo::new(move |_| setup.plan().err().unwrap_or_default())));
    provide_context(RunController::new());
    if let Some(n) = bench_tree_size() {
        return Suspend::new(async move { tree_bench(n).await }).into_any();
    }
    #[cfg(feature = "bench-messages")]
    if bench_query().split('&').any(|kv| kv == "bench=messages") {
        return view! { <gepa_playground::components::message_bench::MessageBench/> }.into_any();
    }
    let shared = RwSignal::new(shared_from_fragment());
    // The optimiser's worker and the runs' starter load once the playground's first screen is
    // drawn (a frame, then a task); a shared prompt's page does not need them.
    Effect::new(move |_| {
        if shared.with(Option::is_none) {
            request_animation_frame(|| {
                set_timeout(
                    || {
                        gepa_playground::worker::link::EngineLink::get().start();
                        crate::run_starter::preload();
                    },
                    std::time::Duration::ZERO,
                );
            });
        }
    });
    let leave_shared = Callback::new(move |()| {
        // Drop the fragment so a reload opens the playground, not the link again.
        if let Some(w) = web_sys::window()
            && let Ok(history) = w.history()
        {
            let path = w.location().pathname().unwrap_or_default();
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
        }
        shared.set(None);
    });
    let [settings, dataset, prompt, run, tree] = REGIONS;
    let controller = expect_context::<RunController>();
    let stage = move || {
        if controller.view.with(Option::is_some) {
            "workspace run-mode"
        } else {
            "workspace setup-mode"
        }
    };
    view! {
        <a class="skip-link" href="#run-bar">"Skip to the run controls"</a>
        <SiteHeader/>
        {move || {
            shared.get().map(|s| {
                Suspend::new(async move {
                    shown(shared_page(s, leave_shared).await, "The shared prompt")
                })
            })
        }}
        <main
            style:display=move || if shared.with(Option::is_some) { "none" } else { "grid" } id="main" class=stage data-testid="workspace">
            <div class="run-bar" id="run-bar" role="region" aria-label="Run controls and progress" data-testid="run-bar">
                <RunControls/>
                <RunHeader/>
            </div>
            <SetupDrawer>
                <QuickStart/>
                <RegionPanel region=settings>
                    <EndpointsPanel/>
                </RegionPanel>
                <RegionPanel region=dataset>
                    <DatasetPanel/>
                </RegionPanel>
                <RegionPanel region=prompt>
                    <ProgramEditor/>
                    <MetricPicker/>
                </RegionPanel>
            </SetupDrawer>
            <RegionPanel region=run>
                {Suspend::new(async { shown(run_region().await, "The run panels") })}
            </RegionPanel>
            <RegionPanel region=tree>
                {Suspend::new(async { shown(tree_region().await, "The candidate tree") })}
            </RegionPanel>
        </main>
        <footer class="site-footer">
            <p>
                "Runs entirely in your browser. Your API keys and data go only to the endpoints you configure."
            </p>
        </footer>
    }
    .into_any()
}

/// The run region's panels. Loaded after the first screen is drawn: with a split build (`./dev
/// build`) its code is a wasm chunk of its own, fetched when this is first called; when it cannot
/// be fetched, the region says so ([`shown`]) and the rest of the page goes on working.
#[leptos::wasm_split::wasm_split(run_region, wasm_split_path = ::leptos::wasm_split, fallible)]
fn run_region() -> Result<AnyView, ChunkMissing> {
    let panels = view! {
        <ResultPanel/>
        <ImportedResult/>
        <SavedRuns/>
        <StrategyPanel/>
        <EventLogView/>
    };
    Ok(panels.into_any())
}

/// The candidate tree region's panels, loaded like [`run_region`].
#[leptos::wasm_split::wasm_split(tree_region, wasm_split_path = ::leptos::wasm_split, fallible)]
fn tree_region() -> Result<AnyView, ChunkMissing> {
    let panels = view! {
        <div class="tree-layout">
            <div class="tree-main">
                <CandidateTree/>
                <ScoreChart/>
                <ScoreHeatmap/>
            </div>
            <div class="tree-side">
                <CandidateInspector/>
                <CandidateCompare/>
            </div>
        </div>
    };
    Ok(panels.into_any())
}

/// A region's panels, or what to tell the user when their chunk could not be fetched.
fn shown(panels: Result<AnyView, ChunkMissing>, part: &str) -> AnyView {
    panels.unwrap_or_else(|missing| {
        let message = missing.message(part);
        view! { <p class="hint warn" role="alert" data-testid="chunk-missing">{message}</p> }
            .into_any()
    })
}

/// The tree benchmark page (`?bench=tree`), in a chunk of its own.
#[lazy]
fn tree_bench(n: usize) -> AnyView {
    view! { <TreeBench n=n/> }.into_any()
}

/// The page a share link opens, with the link decoded (or why it cannot be), in a chunk of its
/// own: only links need it.
#[leptos::wasm_split::wasm_split(shared_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn shared_page(fragment: String, on_done: Callback<()>) -> Result<AnyView, ChunkMissing> {
    let shared = gepa_share::SharedPrompt::decode(&fragment).map_err(|e| e.to_string());
    Ok(view! { <SharedPromptPage shared=shared on_done=on_done/> }.into_any())
}

/// The page's fragment when it holds a shared prompt (`#prompt=v1.…`).
fn shared_from_fragment() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    hash.contains(gepa_share::link::FRAGMENT_KEY).then_some(hash)
}

/// `?bench=tree&n=…` opens the tree benchmark instead of the playground.
fn bench_tree_size() -> Option<usize> {
    let search = bench_query();
    let query = search.as_str();
    if !query.split('&').any(|kv| kv == "bench=tree") {
        return None;
    }
    Some(query.split('&').find_map(|kv| kv.strip_prefix("n=")?.parse().ok()).unwrap_or(1000))
}

/// The page's query without its `?` (the benchmark pages are chosen there).
fn bench_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|s| s.trim_start_matches('?').to_owned())
        .unwrap_or_default()
}
