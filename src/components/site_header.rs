use leptos::prelude::*;

/// Page title and a short description of what the playground does.
#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <h1>"GEPA Playground"</h1>
            <p class="tagline">
                "Evolve better prompts with GEPA, the reflective prompt optimizer, right in your "
                "browser: your data, your model endpoint, no server in between."
            </p>
        </header>
    }
}
