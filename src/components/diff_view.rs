use leptos::prelude::*;

use crate::state::text_diff::{Piece, word_diff};

/// A word-level diff of `old` → `new`: removed words struck through, added ones highlighted.
#[component]
pub fn DiffView(
    /// The earlier text.
    old: String,
    /// The later text.
    new: String,
) -> impl IntoView {
    let pieces = word_diff(&old, &new);
    let unchanged = pieces.iter().all(|p| matches!(p, Piece::Same(_)));
    view! {
        <pre class="diff" data-testid="diff">
            {pieces
                .into_iter()
                .map(|piece| match piece {
                    Piece::Same(s) => view! { <span>{s}</span> }.into_any(),
                    Piece::Removed(s) => view! { <del>{s}</del> }.into_any(),
                    Piece::Added(s) => view! { <ins>{s}</ins> }.into_any(),
                })
                .collect_view()}
        </pre>
        {unchanged.then(|| view! { <p class="hint">"No change."</p> })}
    }
}
