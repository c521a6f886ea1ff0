use gepa_core::Split;
use leptos::prelude::*;

use crate::controller::RunController;
use crate::state::event_log::rejection_reason;
use crate::state::history::{Outcome, ProposalInfo};

/// The reflection that produced a candidate: the minibatch (inputs, the parent's and the
/// child's outputs, scores and feedback), the request and raw reply, and the decision.
#[component]
pub fn ReflectionView(
    /// The proposal.
    proposal: ProposalInfo,
) -> impl IntoView {
    let controller = expect_context::<RunController>();
    let decision = match &proposal.outcome {
        Outcome::Accepted { candidate, before, after } => format!(
            "Accepted as #{candidate}: minibatch score {before:.2} → {after:.2} (of {}).",
            proposal.parent_eval.examples.len()
        ),
        Outcome::Rejected(r) => {
            format!("Rejected: {}.", rejection_reason(r, proposal.parent_eval.examples.len()))
        }
        Outcome::Pending => "Being evaluated…".into(),
        Outcome::Skipped => "No reflection: the parent was perfect on its minibatch.".into(),
    };
    let child = proposal.child_eval.clone().unwrap_or_default();
    let rows = proposal
        .parent_eval
        .examples
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let example = controller.example(Split::Train, *id);
            let input = example.as_ref().map(|e| e.inputs.values().cloned().collect::<Vec<_>>().join(" · ")).unwrap_or_default();
            let expected = example.map(|e| e.expected).unwrap_or_default();
            let parent_out = proposal.parent_eval.outputs.get(i).cloned().unwrap_or_default();
            let parent_score = proposal.parent_eval.scores.get(i).copied();
            let feedback = proposal.parent_eval.feedback.get(i).cloned().unwrap_or_default();
            let child_out = child.outputs.get(i).cloned().unwrap_or_default();
            let child_score = child.scores.get(i).copied();
            let fmt = |s: Option<f64>| s.map_or_else(|| "–".to_owned(), |s| format!("{s:.2}"));
            view! {
                <tr>
                    <td>{input}</td>
                    <td>{expected}</td>
                    <td>{parent_out}<br/><small>{format!("score {}", fmt(parent_score))}</small></td>
                    <td>{feedback}</td>
                    <td>{child_out}<br/><small>{format!("score {}", fmt(child_score))}</small></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="reflection" data-testid="reflection" aria-label="How this candidate was made">
            <h4>{format!("Reflection on #{} in iteration {}, rewriting '{}'", proposal.parent, proposal.iteration, proposal.component)}</h4>
            {proposal.pinned.then(|| view! { <p class="hint">"You pinned this parent."</p> })}
            {proposal.builds_on.map(|on| view! {
                <p class="hint" data-testid="builds-on">{builds_on_note(on, proposal.builds_on_read)}</p>
            })}
            <div class="table-scroll">
                <table class="data">
                    <caption>"Minibatch"</caption>
                    <thead><tr>
                        <th scope="col">"Input"</th><th scope="col">"Expected"</th>
                        <th scope="col">"Parent's output"</th><th scope="col">"Feedback"</th>
                        <th scope="col">"New output"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="decision" data-testid="decision">{decision}</p>
            {proposal.salvaged.then(|| view! {
                <p class="hint">"The reflection reply was cut off by its token limit; its complete lines were kept."</p>
            })}
            {(!proposal.retries.is_empty()).then(|| {
                let retries = proposal.retries.clone();
                view! {
                    <details data-testid="reflection-retries" open>
                        <summary>{format!("Asked again {} time(s)", retries.len())}</summary>
                        <ol class="retries">
                            {retries.into_iter().map(|r| view! {
                                <li>
                                    <p>{format!("Ask {}: {}.", r.attempt, r.reason)}</p>
                                    <p><small>{format!("Told the reflection model: {}", r.correction)}</small></p>
                                    <pre>{r.raw_reply}</pre>
                                </li>
                            }).collect_view()}
                        </ol>
                    </details>
                }
            })}
            <details>
                <summary>"Reflection request"</summary>
                <pre data-testid="reflection-request">{proposal.prompt.clone()}</pre>
            </details>
            <details>
                <summary>"Raw reply"</summary>
                <pre data-testid="reflection-reply">{proposal.raw_reply.clone()}</pre>
            </details>
        </section>
    }
}

/// Why a proposal improved a newer version than its parent; `read`: whether the reflection
/// read that version's outputs (else the parent's).
fn builds_on_note(on: u64, read: bool) -> String {
    if read {
        format!(
            "Built on the version iteration {on} proposed for this parent, which won its minibatch while this iteration was in flight: that version was scored on this minibatch first (the first output column), and the reflection read its outputs and rewrote it."
        )
    } else {
        format!(
            "Built on the version iteration {on} proposed for this parent, which won its minibatch while this iteration was in flight: the reflection was asked ahead of that verdict, read this parent's outputs and rewrote that version; the first output column shows that version, scored beside the new one (the request below shows what the reflection read)."
        )
    }
}
