use gepa_datasets::example_task::ExampleTask;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::setup_context::SetupSignals;
use crate::state::setup::from_example;
use crate::transport::fetch_text;

async fn load_examples() -> Result<Vec<ExampleTask>, String> {
    let index: Vec<String> = serde_json::from_str(&fetch_text("examples/index.json").await?)
        .map_err(|e| format!("examples/index.json: {e}"))?;
    let mut tasks = Vec::with_capacity(index.len());
    for id in index {
        let text = fetch_text(&format!("examples/{id}.json")).await?;
        tasks.push(serde_json::from_str(&text).map_err(|e| format!("examples/{id}.json: {e}"))?);
    }
    Ok(tasks)
}

/// The example tasks: one click fills in the data, the seed prompt and the metric.
#[component]
pub fn ExampleGallery() -> impl IntoView {
    let setup = expect_context::<SetupSignals>();
    let tasks = RwSignal::new(None::<Result<Vec<ExampleTask>, String>>);
    spawn_local(async move { tasks.set(Some(load_examples().await)) });
    let pick = move |task: ExampleTask| {
        let (dataset, program, metric) = from_example(&task);
        setup.dataset.set(dataset);
        setup.program.set(program);
        setup.metric.set(metric);
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
    }
}
