//! Between the run and what leaves it: the prompt link of a finished run, loading a shared
//! prompt into the setup form, and the candidates as CSV.

use gepa_core::{Candidate, Program};
use gepa_datasets::Role;
use gepa_share::{SharedData, SharedPrompt, SharedScores};

use super::dataset_draft::DatasetDraft;
use super::history::RunHistory;
use super::metric_form::MetricForm;
use super::setup::{ProgramDraft, RunPlan, SYSTEM_COMPONENT};
use super::test_eval::TestEval;

/// The prompt link of a run: the best candidate, the program, the metric, model names and the
/// seed-vs-best scores; with `dataset`, the data too (capped at the link's row limit).
#[must_use]
pub fn shared_prompt(
    plan: &RunPlan,
    history: &RunHistory,
    test: &TestEval,
    dataset: Option<&DatasetDraft>,
) -> Option<SharedPrompt> {
    let best = history.best()?;
    let best_info = history.candidates.get(best)?;
    let scores = SharedScores {
        seed_val: history.candidates.first().map(|c| c.mean),
        best_val: Some(best_info.mean),
        seed_test: test.seed.as_ref().map(|s| s.mean),
        best_test: test.best.as_ref().map(|s| s.mean),
    };
    let mut prompt = SharedPrompt::from_run(
        best_info.program.clone(),
        plan.setup.program.clone(),
        plan.setup.metric.clone(),
        &plan.endpoints,
        scores,
    );
    prompt.data = dataset.and_then(shared_data);
    Some(prompt)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Input => "input",
        Role::Expected => "expected",
        Role::Notes => "notes",
        Role::Ignore => "ignore",
    }
}

fn shared_data(dataset: &DatasetDraft) -> Option<SharedData> {
    let table = dataset.parsed.as_ref().ok()?;
    Some(SharedData {
        columns: table.columns.clone(),
        roles: dataset.roles.iter().map(|r| role_name(*r).to_owned()).collect(),
        rows: table.rows.iter().take(gepa_share::link::MAX_SHARED_ROWS).cloned().collect(),
    })
}

/// What loading a shared prompt puts in the setup form: the program (single-prompt programs
/// only: the form edits a system instruction and a user template), the metric, and the data.
///
/// # Errors
/// When the program has a shape the form cannot edit.
pub fn load_shared(
    prompt: &SharedPrompt,
) -> Result<(ProgramDraft, MetricForm, Option<DatasetDraft>), String> {
    let Program::Chat { steps } = &prompt.program else {
        return Err("this prompt uses artifact mode, which the playground form cannot edit yet; use the CLI".into());
    };
    let [step] = steps.as_slice() else {
        return Err(format!(
            "this program chains {} model calls; the playground form edits single-prompt programs (the CLI runs chains)",
            steps.len()
        ));
    };
    let component = step.system.trim().trim_start_matches("{{").trim_end_matches("}}").trim();
    let system = prompt
        .components
        .get(component)
        .ok_or("the shared program's system prompt is not one of its components")?;
    let program = ProgramDraft { system: system.to_owned(), user_template: step.user.clone() };
    let metric = MetricForm::from_spec(&prompt.metric);
    let dataset = prompt.data.as_ref().map(|data| {
        let roles: Vec<Role> = data
            .roles
            .iter()
            .map(|role| match role.as_str() {
                "expected" => Role::Expected,
                "notes" => Role::Notes,
                "ignore" => Role::Ignore,
                _ => Role::Input,
            })
            .collect();
        DatasetDraft::from_rows(&data.columns, &data.rows, &roles, None, "Shared with the prompt")
    });
    Ok((program, metric, dataset))
}

/// Whether a candidate fits the single-prompt form (used to offer "Load into playground").
#[must_use]
pub fn is_single_prompt(candidate: &Candidate) -> bool {
    candidate.get(SYSTEM_COMPONENT).is_some()
}

/// Every candidate with its lineage and validation score, as CSV.
#[must_use]
pub fn candidates_csv(history: &RunHistory) -> String {
    let names: Vec<String> = history
        .candidates
        .first()
        .map(|c| c.program.names().map(str::to_owned).collect())
        .unwrap_or_default();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "candidate".to_owned(),
        "parents".into(),
        "origin".into(),
        "iteration".into(),
        "val_score".into(),
        "rollouts_at_discovery".into(),
    ];
    header.extend(names.iter().cloned());
    let _ = writer.write_record(&header);
    for c in &history.candidates {
        let parents: Vec<String> = c.parents.iter().map(ToString::to_string).collect();
        let origin = serde_json::to_value(c.origin)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut record = vec![
            c.index.to_string(),
            parents.join(" "),
            origin,
            c.iteration.to_string(),
            format!("{:.4}", c.mean),
            c.discovered_at.to_string(),
        ];
        record.extend(names.iter().map(|n| c.program.get(n).unwrap_or_default().to_owned()));
        let _ = writer.write_record(&record);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A candidate as text to paste elsewhere: its components, then (for a one-step chat program)
/// the user message template the prompt is used with.
#[must_use]
pub fn prompt_text(candidate: &Candidate, program: Option<&Program>) -> String {
    let whole = candidate.iter().map(|(_, t)| t).collect::<Vec<_>>().join("\n\n");
    match program {
        Some(Program::Chat { steps }) if steps.len() == 1 => {
            format!("{whole}\n--- user message template ---\n{}", steps[0].user)
        }
        _ => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::history::CandidateInfo;
    use gepa_core::MetricSpec;
    use gepa_core::events::Origin;

    #[test]
    fn a_shared_single_prompt_loads_into_the_form_with_its_data() {
        let prompt = SharedPrompt {
            components: Candidate::new([("system", "Classify.")]),
            program: Program::single_prompt("system", "Ticket: {{ticket}}"),
            metric: MetricSpec::Choice { labels: vec!["a".into(), "b".into()] },
            provider: String::new(),
            task_model: String::new(),
            reflection_model: String::new(),
            scores: SharedScores::default(),
            data: Some(SharedData {
                columns: vec!["ticket".into(), "label".into()],
                roles: vec!["input".into(), "expected".into()],
                rows: vec![
                    vec!["x, with a comma".into(), "a".into()],
                    vec!["y".into(), "b".into()],
                ],
            }),
        };
        let (program, metric, data) = load_shared(&prompt).unwrap();
        assert_eq!(
            (program.system.as_str(), program.user_template.as_str()),
            ("Classify.", "Ticket: {{ticket}}")
        );
        assert_eq!(metric.to_spec().unwrap(), prompt.metric);
        let data = data.unwrap();
        assert_eq!(data.row_count(), 2);
        assert_eq!(data.roles, [Role::Input, Role::Expected]);
        assert_eq!(data.parsed.unwrap().rows[0][0], "x, with a comma");
        let chain =
            SharedPrompt { program: Program::Artifact { component: "system".into() }, ..prompt };
        assert!(load_shared(&chain).unwrap_err().contains("artifact"));
    }

    #[test]
    fn a_copied_prompt_carries_its_user_template() {
        let best = Candidate::new([("system", "Classify.")]);
        let program = Program::single_prompt("system", "Ticket: {{ticket}}");
        assert_eq!(
            prompt_text(&best, Some(&program)),
            "Classify.\n--- user message template ---\nTicket: {{ticket}}"
        );
        assert_eq!(prompt_text(&best, None), "Classify.");
    }

    #[test]
    fn the_csv_lists_every_candidate_with_quoted_text() {
        let mut h = RunHistory::default();
        for (i, text) in ["Seed, plain.", "Line one\nline \"two\""].iter().enumerate() {
            h.candidates.push(CandidateInfo {
                index: i,
                parents: if i == 0 { vec![] } else { vec![0] },
                origin: if i == 0 { Origin::Seed } else { Origin::Reflection },
                program: Candidate::new([("system", *text)]),
                val_scores: Default::default(),
                mean: 0.5 * i as f64,
                iteration: i as u64,
                discovered_at: 10 * i as u64,
                admitted_at: 0,
                proposal: None,
            });
        }
        let csv = candidates_csv(&h);
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][2], "reflection");
        assert_eq!(&rows[1][4], "0.5000");
        assert_eq!(&rows[1][6], "Line one\nline \"two\"");
    }
}
