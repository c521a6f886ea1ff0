use leptos::prelude::*;

use crate::controller::RunController;
use crate::state::heatmap::{SortBy, cell_title, colour, heatmap, ink};
use crate::state::imported::output_of;

/// Candidates × validation examples, coloured by score; ◆ marks the examples a candidate wins
/// (no one scores higher), which is what keeps it on the Pareto front.
#[component]
pub fn ScoreHeatmap() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let sort = RwSignal::new(SortBy::Index);
    let map = move || {
        controller.view.with(|v| v.as_ref().map(|v| heatmap(&v.history.candidates, sort.get())))
    };
    view! {
        <figure class="heatmap" data-testid="heatmap">
            <figcaption>
                "Per-example scores "
                <label for="heatmap-sort" class="inline">"sorted by"</label>
                <select id="heatmap-sort" on:change=move |ev| sort.set(match event_target_value(&ev).as_str() {
                    "mean" => SortBy::Mean,
                    "wins" => SortBy::Wins,
                    _ => SortBy::Index,
                })>
                    <option value="index">"candidate"</option>
                    <option value="mean">"mean score"</option>
                    <option value="wins">"examples won"</option>
                </select>
            </figcaption>
            <div class="table-scroll">
                {move || map().map(|h| view! {
                    <table class="heat">
                        <thead><tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"mean"</th>
                            {h.examples.iter().map(|e| view! { <th scope="col">{format!("ex {e}")}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {h.rows.into_iter().map(|row| {
                                let candidate = row.candidate;
                                let entry = controller.pool_entry(candidate);
                                let split = controller.val_split();
                                view! {
                                    <tr>
                                        <th scope="row">
                                            <button type="button" class="linklike" on:click=move |_| controller.selected.set(Some(candidate))>{format!("#{candidate}")}</button>
                                        </th>
                                        <td>{format!("{:.2}", row.mean)}</td>
                                        {row.cells.into_iter().zip(h.examples.clone()).map(|(cell, id)| match cell.score {
                                            Some(s) => view! {
                                                <td class="heat-cell" style:background=colour(s) style:color=ink(s)
                                                    title={
                                                        let input = controller.example(split, id).map(|e| e.inputs.values().cloned().collect::<Vec<_>>().join(" · "));
                                                        let output = entry.as_ref().and_then(|e| e.outputs.get(&id).cloned())
                                                            .or_else(|| controller.imported.with_untracked(|r| r.as_ref().and_then(|r| output_of(r, candidate, id))));
                                                        cell_title(s, cell.win, input.as_deref(), output.as_deref())
                                                    }>
                                                    {format!("{s:.1}")}{cell.win.then_some(" ◆")}
                                                </td>
                                            }.into_any(),
                                            None => view! { <td>"–"</td> }.into_any(),
                                        }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
            </div>
        </figure>
    }
}
