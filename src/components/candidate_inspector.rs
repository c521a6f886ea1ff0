use gepa_core::events::Origin;
use leptos::prelude::*;

use crate::components::diff_view::DiffView;
use crate::components::reflection_view::ReflectionView;
use crate::components::rejected_proposal::RejectedProposal;
use crate::components::steering_panel::SteeringPanel;
use crate::controller::RunController;
use crate::state::history::CandidateInfo;
use crate::state::imported::{example_label, output_of};
use crate::state::text_diff::describe_length;

fn origin_text(c: &CandidateInfo) -> String {
    match c.origin {
        Origin::Seed => "the seed".into(),
        Origin::Reflection => {
            format!("a reflection on #{}", c.parents.first().copied().unwrap_or_default())
        }
        Origin::Merge => format!(
            "a merge of #{} and #{}",
            c.parents.first().copied().unwrap_or_default(),
            c.parents.get(1).copied().unwrap_or_default()
        ),
        Origin::Human => match c.parents.first() {
            Some(p) => format!("your edit of #{p}"),
            None => "written by you".into(),
        },
    }
}

/// Everything about the selected candidate: its text (length, diff vs parent or seed), its
/// validation scores with the outputs, the reflection that made it, and the steering actions.
#[component]
pub fn CandidateInspector() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let diff_against = RwSignal::new("parent");
    let info = move || {
        let index = controller.selected.get()?;
        controller.view.with(|v| {
            let h = &v.as_ref()?.history;
            let c = h.candidates.get(index)?.clone();
            let seed = h.candidates.first()?.program.clone();
            let parent =
                c.parents.first().and_then(|p| h.candidates.get(*p)).map(|p| p.program.clone());
            let proposal = c.proposal.and_then(|p| h.proposals.get(p)).cloned();
            let front = h.front.contains(&index);
            let children: Vec<_> = h
                .proposals
                .iter()
                .filter(|p| {
                    p.parent == index
                        && !matches!(p.outcome, crate::state::history::Outcome::Skipped)
                })
                .cloned()
                .collect();
            Some((c, seed, parent, proposal, front, children))
        })
    };
    let ghost = move || {
        let index = controller.ghost.get()?;
        controller.view.with(|v| v.as_ref()?.history.proposals.get(index).cloned())
    };
    view! {
        <section class="inspector" data-testid="inspector" aria-live="polite" aria-label="Candidate inspector">
            {move || match info() {
                None => match ghost() {
                    Some(proposal) => view! { <RejectedProposal proposal=proposal/> }.into_any(),
                    None => view! { <p class="hint">"Select a node in the tree (click it, or focus it and press Enter) to inspect it."</p> }.into_any(),
                },
                Some((c, seed, parent, proposal, front, children)) => {
                    let index = c.index;
                    let title = format!("Candidate #{index}: {}", origin_text(&c));
                    let summary = format!(
                        "Iteration {} · validation {:.3}{} · found after {} rollouts",
                        c.iteration, c.mean, if front { " · on the Pareto front" } else { "" }, c.discovered_at
                    );
                    let components = c.program.iter().map(|(name, text)| {
                        let seed_text = seed.get(name).unwrap_or_default().to_owned();
                        let parent_text = parent.as_ref().and_then(|p| p.get(name)).map(str::to_owned);
                        let text = text.to_owned();
                        let length = describe_length(&text, &seed_text);
                        let diff = move || {
                            let against = match diff_against.get() {
                                "seed" => Some(seed_text.clone()),
                                "parent" => parent_text.clone(),
                                _ => None,
                            };
                            against.map(|old| view! { <DiffView old=old new=text.clone()/> })
                        };
                        let plain = c.program.get(name).unwrap_or_default().to_owned();
                        view! {
                            <div class="component">
                                <span class="message-role">{name.to_owned()}</span>
                                <span class="hint">{" "}{length}</span>
                                <pre data-testid="candidate-text">{plain}</pre>
                                {diff}
                            </div>
                        }
                    }).collect_view();
                    let entry = controller.pool_entry(index);
                    let split = controller.val_split();
                    let val_rows = c.val_scores.iter().map(|(id, score)| {
                        let example = controller.example(split, *id);
                        let imported = controller.imported.with_untracked(|r| r.as_ref().map(|r| (example_label(r, *id), output_of(r, index, *id))));
                        let input = example.as_ref().map(|e| e.inputs.values().cloned().collect::<Vec<_>>().join(" · "))
                            .or_else(|| imported.as_ref().map(|(label, _)| label.clone())).unwrap_or_default();
                        let expected = example.map(|e| e.expected).unwrap_or_default();
                        let output = entry.as_ref().and_then(|e| e.outputs.get(id).cloned())
                            .or_else(|| imported.and_then(|(_, output)| output)).unwrap_or_default();
                        let feedback = entry.as_ref().and_then(|e| e.feedback.get(id).cloned()).unwrap_or_default();
                        view! {
                            <tr><td>{input}</td><td>{expected}</td><td>{output}</td><td>{format!("{score:.2}")}</td><td>{feedback}</td></tr>
                        }
                    }).collect_view();
                    let program = c.program.clone();
                    view! {
                        <h3 class="subhead">{title}</h3>
                        <p class="hint">{summary}</p>
                        <fieldset class="diff-choice">
                            <legend>"Highlight changes"</legend>
                            {[("parent", "vs parent"), ("seed", "vs seed"), ("none", "off")].into_iter().map(|(value, label)| {
                                let id = format!("diff-{value}");
                                let label_for = id.clone();
                                view! {
                                    <label class="radio" for=label_for>
                                        <input type="radio" id=id name="diff-against" prop:checked=move || diff_against.get() == value on:change=move |_| diff_against.set(value)/>
                                        {label}
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                        {components}
                        {proposal.map(|p| view! { <ReflectionView proposal=p/> })}
                        {(!children.is_empty()).then(|| view! {
                            <details class="children" data-testid="proposals-from">
                                <summary>{format!("{} proposal(s) made from #{index}, accepted or not", children.len())}</summary>
                                {children.into_iter().map(|p| view! { <ReflectionView proposal=p/> }).collect_view()}
                            </details>
                        })}
                        <details class="val-scores">
                            <summary>{format!("Validation: {} examples", c.val_scores.len())}</summary>
                            <div class="table-scroll">
                                <table class="data">
                                    <caption class="visually-hidden">"Validation examples with this candidate's outputs"</caption>
                                    <thead><tr><th scope="col">"Input"</th><th scope="col">"Expected"</th><th scope="col">"Output"</th><th scope="col">"Score"</th><th scope="col">"Feedback"</th></tr></thead>
                                    <tbody>{val_rows}</tbody>
                                </table>
                            </div>
                        </details>
                        {controller.imported.with_untracked(Option::is_none).then(|| view! { <SteeringPanel candidate=index program=program/> })}
                    }.into_any()
                }
            }}
        </section>
    }
}
