use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::problems::belongs_to;

/// What blocks Start, computed once for every field that shows its part of it.
#[derive(Debug, Clone, Copy)]
pub struct SetupProblems(pub Memo<Vec<String>>);

impl SetupProblems {
    /// The problems fixed at `field` (an element id, or an endpoint group like `task`).
    #[must_use]
    pub fn at(self, field: &str) -> Vec<String> {
        self.0.with(|all| all.iter().filter(|p| belongs_to(p, field)).cloned().collect())
    }

    /// `"true"` for `aria-invalid` when `field` has a problem, else nothing.
    #[must_use]
    pub fn invalid(self, field: &str) -> Option<&'static str> {
        self.0.with(|all| all.iter().any(|p| belongs_to(p, field))).then_some("true")
    }
}

/// The problems of one field (or endpoint group), shown beside it; its id is
/// `{field}-problems`, which the field names in `aria-describedby`.
#[component]
pub fn FieldProblems(#[prop(into)] field: String) -> impl IntoView {
    let problems = expect_context::<SetupProblems>();
    let id = format!("{field}-problems");
    let testid = id.clone();
    view! {
        <ul class="field-problems" id=id data-testid=testid>
            {move || problems.at(&field).into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
        </ul>
    }
}

/// Opens every collapsed section around element `id`, scrolls it into view and focuses it
/// (the checklist's links).
pub fn reveal(id: &str) {
    let Some(target) =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id))
    else {
        return;
    };
    let mut at = target.parent_element();
    while let Some(element) = at {
        if element.tag_name().eq_ignore_ascii_case("details") {
            let _ = element.set_attribute("open", "");
        }
        at = element.parent_element();
    }
    target.scroll_into_view();
    if let Ok(html) = target.dyn_into::<web_sys::HtmlElement>() {
        let _ = html.focus();
    }
}
