use leptos::prelude::*;

use crate::controller::RunController;
use crate::state::heatmap::{colour, ink};
use crate::state::tree_model::{NodeLook, TreeModel};
use crate::state::viewport::{VIEW_H, VIEW_W, Viewport};

/// Above this many nodes, moved nodes jump instead of gliding (a transition per moved node
/// costs more than a frame on big trees).
const LARGE_TREE: usize = 300;

/// The growing candidate tree: primary-parent tree, merge links, score colours, markers for the
/// front, the best, the parent being reflected on and pinned or excluded candidates; zoom, pan,
/// fit; click or Enter to inspect a node.
#[component]
pub fn CandidateTree() -> impl IntoView {
    let controller = expect_context::<RunController>();
    let ghosts = controller.show_ghosts;
    let model = Memo::new(move |_| {
        controller.view.with(|v| {
            v.as_ref().map(|v| TreeModel::build(&v.history, ghosts.get())).unwrap_or_default()
        })
    });
    // Per-node signals, updated only when that node moved or changed: adding one node to a
    // large tree then costs work for the nodes it shifts, not a re-run for every node.
    type Slots = std::collections::HashMap<usize, (ArcRwSignal<(f64, f64)>, ArcRwSignal<NodeLook>)>;
    let slots = StoredValue::new_local(Slots::new());
    let ids = RwSignal::new(Vec::<usize>::new());
    Effect::new(move |_| {
        model.with(|m| {
            slots.update_value(|map| {
                for n in &m.nodes {
                    match map.get(&n.id) {
                        Some((pos, look)) => {
                            if pos.get_untracked() != (n.x, n.y) {
                                pos.set((n.x, n.y));
                            }
                            if look.with_untracked(|l| *l != n.look) {
                                look.set(n.look.clone());
                            }
                        }
                        None => {
                            map.insert(
                                n.id,
                                (ArcRwSignal::new((n.x, n.y)), ArcRwSignal::new(n.look.clone())),
                            );
                        }
                    }
                }
                if map.len() > m.nodes.len() {
                    map.retain(|id, _| m.node(*id).is_some());
                }
            });
            let next = m.ids();
            if ids.with_untracked(|old| *old != next) {
                ids.set(next);
            }
        });
    });
    let svg_class = move || if ids.with(Vec::len) > LARGE_TREE { "tree large" } else { "tree" };
    let viewport = RwSignal::new(Viewport::default());
    let user_moved = RwSignal::new(false);
    // Keep the whole tree in view as it grows, until the user zooms or pans.
    Effect::new(move |_| {
        let (w, h) = model.with(|m| (m.width, m.height));
        if !user_moved.get_untracked() {
            viewport.set(Viewport::fit(w, h));
        }
    });
    let fit = move || {
        user_moved.set(false);
        let (w, h) = model.with_untracked(|m| (m.width, m.height));
        viewport.set(Viewport::fit(w, h));
    };
    let moved = move |v: Viewport| {
        user_moved.set(true);
        viewport.set(v);
    };
    let drag = StoredValue::new(None::<(f64, f64)>);
    let units_per_px = move |ev: &web_sys::MouseEvent| {
        use wasm_bindgen::JsCast;
        ev.current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map_or(1.0, |e| VIEW_W / e.get_bounding_client_rect().width().max(1.0))
    };
    // A candidate opens in the inspector; a ghost opens its rejected proposal there.
    let select = move |look: NodeLook| {
        if let Some(c) = look.candidate {
            controller.selected.set(Some(c));
        } else if let Some(p) = look.proposal {
            controller.selected.set(None);
            controller.ghost.set(Some(p));
        }
    };
    let edges = Memo::new(move |_| model.with(TreeModel::edge_paths));
    let selected = Selector::new(move || controller.selected.get());
    view! {
        <div class="tree-toolbar" role="toolbar" aria-label="Tree view">
            <button type="button" class="button subtle" on:click=move |_| moved(viewport.get_untracked().zoom(1.25, VIEW_W / 2.0, VIEW_H / 2.0))>"Zoom in"</button>
            <button type="button" class="button subtle" on:click=move |_| moved(viewport.get_untracked().zoom(0.8, VIEW_W / 2.0, VIEW_H / 2.0))>"Zoom out"</button>
            <button type="button" class="button subtle" on:click=move |_| fit()>"Fit"</button>
            <label class="checkbox">
                <input type="checkbox" id="show-ghosts" prop:checked=move || ghosts.get() on:change=move |ev| ghosts.set(event_target_checked(&ev))/>
                "Show rejected proposals"
            </label>
        </div>
        <svg
            class=svg_class
            data-testid="candidate-tree"
            role="group"
            aria-label="Candidate tree: arrow keys pan, + and − zoom, 0 fits"
            tabindex="0"
            viewBox=format!("0 0 {VIEW_W} {VIEW_H}")
            on:wheel=move |ev: web_sys::WheelEvent| {
                ev.prevent_default();
                let factor = if ev.delta_y() < 0.0 { 1.15 } else { 1.0 / 1.15 };
                let k = units_per_px(&ev);
                moved(viewport.get_untracked().zoom(factor, f64::from(ev.offset_x()) * k, f64::from(ev.offset_y()) * k));
            }
            on:pointerdown=move |ev: web_sys::PointerEvent| drag.set_value(Some((f64::from(ev.client_x()), f64::from(ev.client_y()))))
            on:pointermove=move |ev: web_sys::PointerEvent| {
                if let Some((x0, y0)) = drag.get_value() {
                    let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
                    if (x - x0).abs() + (y - y0).abs() > 2.0 {
                        let k = units_per_px(&ev);
                        moved(viewport.get_untracked().pan((x - x0) * k, (y - y0) * k));
                        drag.set_value(Some((x, y)));
                    }
                }
            }
            on:pointerup=move |_| drag.set_value(None)
            on:pointerleave=move |_| drag.set_value(None)
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                let v = viewport.get_untracked();
                let next = match ev.key().as_str() {
                    "ArrowLeft" => Some(v.pan(40.0, 0.0)),
                    "ArrowRight" => Some(v.pan(-40.0, 0.0)),
                    "ArrowUp" => Some(v.pan(0.0, 40.0)),
                    "ArrowDown" => Some(v.pan(0.0, -40.0)),
                    "+" | "=" => Some(v.zoom(1.25, VIEW_W / 2.0, VIEW_H / 2.0)),
                    "-" => Some(v.zoom(0.8, VIEW_W / 2.0, VIEW_H / 2.0)),
                    "0" => {
                        fit();
                        None
                    }
                    _ => return,
                };
                ev.prevent_default();
                if let Some(next) = next {
                    moved(next);
                }
            }
        >
            <g transform=move || viewport.get().transform()>
                <g class="edges">
                    <path class="edge" d=move || edges.with(|e| e[0].clone())></path>
                    <path class="edge merge" d=move || edges.with(|e| e[1].clone())></path>
                    <path class="edge ghost" d=move || edges.with(|e| e[2].clone())></path>
                </g>
                <For each=move || ids.get() key=|id| *id let:id>
                    {
                        // A moved node updates one attribute; a changed one its markers.
                        let selected = selected.clone();
                        let (pos, look) = slots
                            .with_value(|map| map.get(&id).cloned())
                            .unwrap_or_else(|| (ArcRwSignal::new((0.0, 0.0)), ArcRwSignal::new(NodeLook::default())));
                        // Arena handles (owned by this node's scope) so the closures are Copy.
                        let (pos, look) = (RwSignal::from(pos), RwSignal::from(look));
                        let transform = move || {
                            let (x, y) = pos.get();
                            format!("translate({x:.1},{y:.1})")
                        };
                        let candidate = { move || look.with(|l| l.candidate) };
                        let ghost_selected = move || {
                            let proposal = look.with(|l| l.proposal);
                            proposal.is_some() && proposal == controller.ghost.get() && controller.selected.get().is_none()
                        };
                        let class = {
                            move || {
                                let (mut c, index) = look.with(|l| (l.classes(), l.candidate));
                                if index.is_some_and(|i| selected.selected(&Some(i))) || ghost_selected() {
                                    c.push_str(" selected");
                                }
                                c
                            }
                        };
                        let score = { move || look.with(|l| l.score) };
                        let fill = move || score().map_or_else(|| "none".to_owned(), colour);
                        let text_fill = move || score().map_or("currentColor", ink);
                        let label = { move || look.with(NodeLook::label) };
                        let testid = move || look.with(|l| match l.candidate {
                            Some(c) => format!("node-{c}"),
                            None if l.pending => "pending".into(),
                            None => "ghost".into(),
                        });
                        let clickable = move || look.with(|l| l.candidate.is_some() || l.proposal.is_some());
                        let human = move || look.with(|l| l.origin == Some(gepa_core::events::Origin::Human));
                        view! {
                            <g
                                class=class
                                transform=transform
                                data-testid=testid
                                role=move || if clickable() { "button" } else { "img" }
                                tabindex=move || if clickable() { "0" } else { "-1" }
                                aria-label=label
                                on:click=move |_| select(look.get_untracked())
                                on:keydown=move |ev: web_sys::KeyboardEvent| {
                                    if ev.key() == "Enter" || ev.key() == " " {
                                        ev.prevent_default();
                                        ev.stop_propagation();
                                        select(look.get_untracked());
                                    }
                                }
                            >
                                <title>{label}</title>
                                <circle class="halo" r="19"></circle>
                                <circle class="dot" r=move || look.with(|l| if l.candidate.is_some() { "13" } else if l.pending { "10" } else { "6" }) fill=fill></circle>
                                <Show when=human>
                                    <rect class="human-mark" x="-4" y="-22" width="8" height="8"></rect>
                                </Show>
                                <text class="node-id" y="4" fill=text_fill>{move || candidate().map(|c| c.to_string()).unwrap_or_default()}</text>
                            </g>
                        }
                    }
                </For>
            </g>
        </svg>
        <div class="legend" aria-label="Legend">
            <span class="legend-scale" aria-hidden="true"></span>
            <span>"validation score 0 → 1"</span>
            <span><svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="6" class="legend-front"></circle></svg>" Pareto front"</span>
            <span><svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="6" class="legend-best"></circle></svg>" best"</span>
            <span><svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="6" class="legend-reflecting"></circle></svg>" being improved now"</span>
            <span><svg width="16" height="16" aria-hidden="true"><rect x="4" y="4" width="8" height="8" class="human-mark"></rect></svg>" made by you"</span>
            <span><svg width="16" height="16" aria-hidden="true"><circle cx="8" cy="8" r="5" class="legend-pending"></circle></svg>" yours, waiting for validation"</span>
            <span><svg width="22" height="10" aria-hidden="true"><path d="M1,5 L21,5" class="edge merge"></path></svg>" merge"</span>
        </div>
    }
}
