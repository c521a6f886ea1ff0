use leptos::prelude::*;

use crate::components::{
    dataset_panel::DatasetPanel, endpoints_panel::EndpointsPanel, event_log_view::EventLogView,
    metric_picker::MetricPicker, program_editor::ProgramEditor, region_panel::RegionPanel,
    result_panel::ResultPanel, run_controls::RunControls, run_header::RunHeader,
    site_header::SiteHeader, strategy_panel::StrategyPanel,
};
use crate::controller::RunController;
use crate::layout::REGIONS;
use crate::setup_context::SetupSignals;

/// The whole page: a header, then one panel per layout region.
#[component]
pub fn App() -> impl IntoView {
    provide_context(SetupSignals::new());
    provide_context(RunController::new());
    let [settings, dataset, prompt, run, tree] = REGIONS;
    view! {
        <a class="skip-link" href="#run">"Skip to the run controls"</a>
        <SiteHeader/>
        <main id="main" class="workspace" data-testid="workspace">
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
            <RegionPanel region=run>
                <StrategyPanel/>
                <RunControls/>
                <RunHeader/>
                <ResultPanel/>
                <EventLogView/>
            </RegionPanel>
            <RegionPanel region=tree/>
        </main>
        <footer class="site-footer">
            <p>
                "Runs entirely in your browser. Your API keys and data go only to the endpoints you configure."
            </p>
        </footer>
    }
}
