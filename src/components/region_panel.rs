use leptos::prelude::*;

use crate::layout::Region;

/// One titled region of the page; later milestones put the real controls inside.
#[component]
pub fn RegionPanel(
    /// Which region this panel renders.
    region: Region,
    /// The region's controls; without them the panel shows its summary.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let heading_id = format!("{}-heading", region.id);
    let labelled_by = heading_id.clone();
    view! {
        <section
            id=region.id
            class="panel"
            style:grid-area=region.area
            aria-labelledby=labelled_by
            data-testid=format!("region-{}", region.id)
        >
            <h2 id=heading_id>{region.title}</h2>
            <p class="panel-summary">{region.summary}</p>
            {children.map(|c| c())}
        </section>
    }
}
