use leptos::prelude::*;

use crate::components::{region_panel::RegionPanel, site_header::SiteHeader};
use crate::layout::REGIONS;

/// The whole page: a header, then one panel per layout region.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <SiteHeader/>
        <main id="main" class="workspace" data-testid="workspace">
            {REGIONS.iter().map(|region| view! { <RegionPanel region=*region/> }).collect_view()}
        </main>
        <footer class="site-footer">
            <p>
                "Runs entirely in your browser. Your API keys and data go only to the endpoints you configure."
            </p>
        </footer>
    }
}
