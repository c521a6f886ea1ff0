use leptos::prelude::*;

/// Page title and a short description of what the playground does.
#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <h1>"GEPA Playground"</h1>
            <p class="tagline">
                "Evolve better prompts with GEPA, the reflective prompt optimizer, right in your "
                "browser. Paste a small dataset and a seed prompt, point it at your own LLM "
                "endpoint, and watch it score candidates, reflect on failures, keep a per-example "
                "Pareto front and grow a tree of improving prompts."
            </p>
        </header>
    }
}
