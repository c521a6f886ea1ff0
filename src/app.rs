use leptos::prelude::*;

use crate::components::{
    endpoint_settings::EndpointSettings, region_panel::RegionPanel, site_header::SiteHeader,
};
use crate::layout::REGIONS;
use crate::state::endpoint_form::EndpointForm;

/// The whole page: a header, then one panel per layout region.
#[component]
pub fn App() -> impl IntoView {
    let task_endpoint = RwSignal::new(EndpointForm::default());
    let [settings, dataset, prompt, run, tree] = REGIONS;
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <SiteHeader/>
        <main id="main" class="workspace" data-testid="workspace">
            <RegionPanel region=settings>
                <EndpointSettings id="task" form=task_endpoint/>
            </RegionPanel>
            <RegionPanel region=dataset/>
            <RegionPanel region=prompt/>
            <RegionPanel region=run/>
            <RegionPanel region=tree/>
        </main>
        <footer class="site-footer">
            <p>
                "Runs entirely in your browser. Your API keys and data go only to the endpoints you configure."
            </p>
        </footer>
    }
}
