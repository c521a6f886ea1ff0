use gepa_datasets::example_task::ExampleTask;
use leptos::prelude::*;

use crate::setup_context::SetupSignals;
use crate::state::dataset_draft::DatasetDraft;
use crate::state::metric_form::MetricForm;
use crate::state::setup::{ProgramDraft, from_example, replaces_work};

/// The example tasks: one click fills in the data, the seed prompt and the metric.
#[component]
pub fn ExampleGallery() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let tasks = RwSignal::new(Some(crate::state::example_tasks::all()));
    // What the last pick replaced, while it can be put back.
    let undo = RwSignal::new(None::<(String, DatasetDraft, ProgramDraft, MetricForm)>);
    let pick = move |task: ExampleTask| {
        let (dataset, program, metric) = from_example(&task);
        let (old_data, old_program) =
            (setup.dataset.get_untracked(), setup.program.get_untracked());
        let examples: Vec<ProgramDraft> = tasks.with_untracked(|t| {
            t.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|list| list.iter().map(|t| from_example(t).1).collect())
                .unwrap_or_default()
        });
        let replaced = replaces_work((&old_data, &old_program), (&dataset, &program), &examples);
        undo.set(
            replaced
                .then(|| (task.title.clone(), old_data, old_program, setup.metric.get_untracked())),
        );
        setup.dataset.set(dataset);
        setup.program.set(program);
        setup.metric.set(metric);
    };
    let restore = move |_| {
        if let Some((_, dataset, program, metric)) = undo.get_untracked() {
            setup.dataset.set(dataset);
            setup.program.set(program);
            setup.metric.set(metric);
        }
        undo.set(None);
    };
    view! {
        <div class="gallery" role="group" aria-label="Example tasks">
            {move || match tasks.get() {
                None => view! { <p class="hint">"Loading example tasks…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="hint warn">"Could not load the example tasks: " {e}</p> }.into_any(),
                Some(Ok(list)) => list
                    .into_iter()
                    .map(|task| {
                        let title = task.title.clone();
                        let description = task.description.clone();
                        let testid = format!("example-{}", task.id);
                        view! {
                            <button type="button" class="card" data-testid=testid on:click=move |_| pick(task.clone())>
                                <strong>{title}</strong>
                                <span>{description}</span>
                            </button>
                        }
                    })
                    .collect_view()
                    .into_any(),
            }}
        </div>
        {move || undo.get().map(|(title, ..)| view! {
            <p class="hint warn" role="status" data-testid="example-undo">
                {format!("Loaded “{title}” in place of your data and prompt. ")}
                <button type="button" class="button subtle" data-testid="undo-example" on:click=restore>"Undo"</button>
            </p>
        })}
    }
}
