use leptos::prelude::*;

use crate::components::reflection_view::ReflectionView;
use crate::controller::RunController;
use crate::state::history::ProposalInfo;

/// A rejected proposal opened from its ghost node: what was proposed, why it was turned down
/// (the reflection that made it, with its minibatch), and a way back to its parent.
#[component]
pub fn RejectedProposal(
    /// The proposal.
    proposal: ProposalInfo,
) -> impl IntoView {
    let controller = expect_context::<RunController>();
    let parent = proposal.parent;
    let title = format!(
        "Rejected proposal from #{parent} (iteration {}, '{}')",
        proposal.iteration, proposal.component
    );
    let text = proposal.proposal.clone();
    view! {
        <h3 class="subhead" data-testid="rejected-title">{title}</h3>
        <button type="button" class="button subtle" data-testid="to-parent"
            on:click=move |_| controller.selected.set(Some(parent))>
            {format!("Back to #{parent}")}
        </button>
        {(!text.is_empty()).then(|| view! {
            <div class="component">
                <span class="message-role">"Proposed text"</span>
                <pre data-testid="rejected-text">{text}</pre>
            </div>
        })}
        <ReflectionView proposal=proposal/>
    }
}
