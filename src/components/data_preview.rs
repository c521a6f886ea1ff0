use gepa_datasets::Role;
use leptos::prelude::*;

use crate::setup_context::SetupSignals;

const PREVIEW_ROWS: usize = 5;
const ROLES: [(Role, &str, &str); 4] = [
    (Role::Input, "input", "Input"),
    (Role::Expected, "expected", "Expected answer"),
    (Role::Notes, "notes", "Notes / rubric"),
    (Role::Ignore, "ignore", "Ignore"),
];

/// The parsed data: row problems, the first rows with a role per column, and split sizes.
#[component]
pub fn DataPreview() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let dataset = setup.dataset;
    let size_input = move |which: &'static str, label: &'static str| {
        let id = format!("split-{which}");
        let label_for = id.clone();
        view! {
            <div>
            <label for=label_for>{label}</label>
            <input
                id=id
                type="number"
                min="0"
                prop:value=move || dataset.with(|d| match which {
                    "train" => d.split.train,
                    "val" => d.split.val,
                    _ => d.split.test,
                }.to_string())
                on:change=move |ev| {
                    if let Ok(n) = event_target_value(&ev).trim().parse::<usize>() {
                        dataset.update(|d| d.set_size(which, n));
                    }
                }
            />
            </div>
        }
    };
    view! {
        <div class="preview" data-testid="data-preview" aria-live="polite">
            {move || dataset.with(|d| match &d.parsed {
                // The data field's own problem (the field names it in aria-describedby).
                Err(e) => view! { <p class="hint warn" id="data-text-problems">{e.clone()}</p> }.into_any(),
                Ok(table) => {
                    let summary = format!(
                        "{}: {} rows, {} columns, read as {}.",
                        if d.origin.is_empty() { "Data" } else { d.origin.as_str() },
                        table.rows.len(),
                        table.columns.len(),
                        table.format.label()
                    );
                    let problems = table.problems.iter().take(20).map(|p| {
                        view! { <li>{format!("Line {}: {}", p.line, p.message)}</li> }
                    }).collect_view();
                    let more = table.problems.len().saturating_sub(20);
                    let header = table.columns.iter().enumerate().map(|(i, name)| {
                        let select_id = format!("role-{i}");
                        view! {
                            <th scope="col">
                                <label for=select_id.clone()>{name.clone()}</label>
                                <select
                                    id=select_id
                                    on:change=move |ev| {
                                        let value = event_target_value(&ev);
                                        if let Some((role, _, _)) = ROLES.iter().find(|(_, id, _)| *id == value) {
                                            dataset.update(|d| d.set_role(i, *role));
                                        }
                                    }
                                >
                                    {ROLES.iter().map(|(role, id, label)| {
                                        let role = *role;
                                        view! {
                                            <option value=*id selected=move || dataset.with(|d| d.roles.get(i) == Some(&role))>{*label}</option>
                                        }
                                    }).collect_view()}
                                </select>
                            </th>
                        }
                    }).collect_view();
                    let rows = table.rows.iter().take(PREVIEW_ROWS).map(|row| {
                        view! { <tr>{row.iter().map(|cell| view! { <td>{cell.clone()}</td> }).collect_view()}</tr> }
                    }).collect_view();
                    view! {
                        <p class="hint">{summary}</p>
                        {(!table.problems.is_empty()).then(|| view! {
                            <details class="problems" open>
                                <summary>{format!("{} row(s) skipped or repaired", table.problems.len())}</summary>
                                <ul>{problems}{(more > 0).then(|| view! { <li>{format!("…and {more} more")}</li> })}</ul>
                            </details>
                        })}
                        <div class="table-scroll">
                            <table class="data">
                                <caption class="visually-hidden">"First rows of the data, with the role of each column"</caption>
                                <thead><tr>{header}</tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    }.into_any()
                }
            })}
        </div>
        <fieldset class="split">
            <legend>"Split"</legend>
            <div class="inline-fields">
                {size_input("train", "Training")}
                {size_input("val", "Validation")}
                {size_input("test", "Held-out test")}
            </div>
            {move || dataset.with(|d| match d.split() {
                Ok(split) => split.warnings.into_iter().map(|w| view! { <p class="hint warn">{w}</p> }).collect_view().into_any(),
                Err(e) if d.parsed.is_ok() => view! { <p class="hint warn">{e}</p> }.into_any(),
                Err(_) => ().into_any(),
            })}
        </fieldset>
    }
}
