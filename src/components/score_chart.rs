use leptos::prelude::*;

use crate::controller::RunController;
use crate::state::chart::{Scale, best_so_far, pareto_aggregate, path, ticks};
use crate::state::heatmap::colour;

const W: f64 = 560.0;
const H: f64 = 220.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 28.0;

/// Validation score against rollouts spent: best so far, every accepted candidate, the seed's
/// score and the Pareto aggregate.
#[component]
pub fn ScoreChart() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let chart = move || {
        controller.view.with(|v| {
            let v = v.as_ref()?;
            let h = &v.history;
            let seed = h.candidates.first()?.mean;
            let end = v.counters.budget.unwrap_or(h.rollouts).max(h.rollouts).max(1);
            let x = Scale { d0: 0.0, d1: end as f64, r0: LEFT, r1: W - 18.0 };
            let y = Scale { d0: 0.0, d1: 1.0, r0: H - BOTTOM, r1: 8.0 };
            let best = path(&best_so_far(&h.candidates, h.rollouts), x, y);
            let aggregate = path(&pareto_aggregate(&h.candidates), x, y);
            let dots: Vec<(usize, f64, f64, f64)> = h
                .candidates
                .iter()
                .map(|c| (c.index, x.at(c.admitted_at as f64), y.at(c.mean), c.mean))
                .collect();
            let x_ticks: Vec<(f64, String)> =
                ticks(0.0, end as f64, 5).into_iter().map(|t| (x.at(t), format!("{t}"))).collect();
            let y_ticks: Vec<(f64, String)> =
                ticks(0.0, 1.0, 4).into_iter().map(|t| (y.at(t), format!("{t}"))).collect();
            Some((best, aggregate, y.at(seed), dots, x_ticks, y_ticks))
        })
    };
    view! {
        <figure class="chart" data-testid="score-chart">
            <figcaption>"Validation score by rollouts spent"</figcaption>
            {move || match chart() {
                None => view! { <p class="hint">"The chart fills in once the seed is scored."</p> }.into_any(),
                Some((best, aggregate, seed_y, dots, x_ticks, y_ticks)) => view! {
                    <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="Line chart of the best validation score so far, the Pareto aggregate and the seed's score against rollouts spent; dots are accepted candidates">
                        <g class="axis">
                            {x_ticks.into_iter().map(|(px, label)| view! {
                                <line x1=px x2=px y1=H - BOTTOM y2=H - BOTTOM + 4.0></line>
                                <text x=px y=H - 8.0 text-anchor="middle">{label}</text>
                            }).collect_view()}
                            {y_ticks.into_iter().map(|(py, label)| view! {
                                <line class="grid" x1=LEFT x2=W - 18.0 y1=py y2=py></line>
                                <text x=LEFT - 6.0 y=py + 4.0 text-anchor="end">{label}</text>
                            }).collect_view()}
                        </g>
                        <line class="seed-line" x1=LEFT x2=W - 18.0 y1=seed_y y2=seed_y></line>
                        <path class="aggregate-line" d=aggregate></path>
                        <path class="best-line" d=best></path>
                        {dots.into_iter().map(|(index, cx, cy, mean)| view! {
                            <circle class="chart-dot" cx=cx cy=cy r="4.5" fill=colour(mean)
                                on:click=move |_| controller.selected.set(Some(index))>
                                <title>{format!("#{index}: {mean:.3}")}</title>
                            </circle>
                        }).collect_view()}
                    </svg>
                    <p class="legend">
                        <span class="key best-key">"best so far"</span>
                        <span class="key aggregate-key">"Pareto aggregate (best per example)"</span>
                        <span class="key seed-key">"seed"</span>
                    </p>
                }.into_any(),
            }}
        </figure>
    }
}
