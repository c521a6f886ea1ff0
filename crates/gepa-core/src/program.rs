//! How a candidate becomes model calls: the program's steps and their message templates.

use serde::{Deserialize, Serialize};

use crate::candidate::Candidate;
use crate::data::Example;
use crate::message::ChatMessage;
use crate::template::{placeholders, render};

/// One model call of a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Name; later steps refer to this step's output as `{{name}}`.
    pub name: String,
    /// System message template (empty = no system message).
    pub system: String,
    /// User message template.
    pub user: String,
}

/// What the engine runs for one candidate on one example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Program {
    /// One or more chat calls; the last step's reply is the output that gets scored.
    ///
    /// In a template, `{{name}}` is, in this order of precedence: a component of the candidate
    /// (its text is itself rendered once, so a component may hold `{{field}}` placeholders), the
    /// output of an earlier step, or an input field of the example. Field values and outputs are
    /// inserted verbatim and never re-rendered.
    Chat {
        /// The calls, in order.
        steps: Vec<Step>,
    },
    /// Artifact mode: the candidate's text is itself the output, scored on each example with no
    /// task-model call (GEPA as inference-time search).
    Artifact {
        /// The component whose text is scored.
        component: String,
    },
}

impl Program {
    /// The common case: a system instruction held in component `system_component` and a fixed
    /// user template with `{{field}}` placeholders.
    #[must_use]
    pub fn single_prompt(system_component: &str, user_template: &str) -> Program {
        Program::Chat {
            steps: vec![Step {
                name: "answer".into(),
                system: format!("{{{{{system_component}}}}}"),
                user: user_template.into(),
            }],
        }
    }

    /// Number of model calls per rollout (0 in artifact mode).
    #[must_use]
    pub fn n_steps(&self) -> usize {
        match self {
            Program::Chat { steps } => steps.len(),
            Program::Artifact { .. } => 0,
        }
    }

    /// Checks the program against the seed's components.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn validate(&self, seed: &Candidate) -> Result<(), String> {
        match self {
            Program::Artifact { component } => {
                if seed.get(component).is_none() {
                    return Err(format!("artifact component `{component}` is not in the seed"));
                }
            }
            Program::Chat { steps } => {
                if steps.is_empty() {
                    return Err("the program has no steps".into());
                }
                for (i, step) in steps.iter().enumerate() {
                    if step.user.trim().is_empty() && step.system.trim().is_empty() {
                        return Err(format!(
                            "step {} (`{}`) has no message text",
                            i + 1,
                            step.name
                        ));
                    }
                    if steps[..i].iter().any(|s| s.name == step.name) {
                        return Err(format!("two steps are named `{}`", step.name));
                    }
                }
            }
        }
        Ok(())
    }

    /// The messages for `step` of a rollout, given the outputs of the earlier steps.
    #[must_use]
    pub fn messages(
        &self,
        step: usize,
        candidate: &Candidate,
        example: &Example,
        outputs: &[String],
    ) -> Vec<ChatMessage> {
        let Program::Chat { steps } = self else { return Vec::new() };
        let Some(current) = steps.get(step) else { return Vec::new() };
        let data = |name: &str| -> Option<String> {
            if let Some(pos) = steps[..step].iter().position(|s| s.name == name) {
                return outputs.get(pos).cloned();
            }
            example.inputs.get(name).cloned()
        };
        let fill = |template: &str| {
            render(template, |name| match candidate.get(name) {
                Some(text) => Some(render(text, data)),
                None => data(name),
            })
        };
        let mut messages = Vec::with_capacity(2);
        let system = fill(&current.system);
        if !system.trim().is_empty() {
            messages.push(ChatMessage::system(system));
        }
        messages.push(ChatMessage::user(fill(&current.user)));
        messages
    }

    /// Components of `seed` that the program actually uses (the ones worth optimising).
    #[must_use]
    pub fn used_components(&self, seed: &Candidate) -> Vec<String> {
        match self {
            Program::Artifact { component } => vec![component.clone()],
            Program::Chat { steps } => {
                let mut used: Vec<String> = Vec::new();
                for step in steps {
                    for name in placeholders(&step.system).chain(placeholders(&step.user)) {
                        if seed.get(&name).is_some() && !used.contains(&name) {
                            used.push(name);
                        }
                    }
                }
                seed.names().filter(|n| used.iter().any(|u| u == n)).map(str::to_owned).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_prompt_renders_system_and_user_messages() {
        let program = Program::single_prompt("system", "Question: {{question}}");
        let candidate = Candidate::new([("system", "Answer with a number.")]);
        let example = Example::new([("question", "2+2?")], "4");
        let messages = program.messages(0, &candidate, &example, &[]);
        assert_eq!(
            messages,
            [ChatMessage::system("Answer with a number."), ChatMessage::user("Question: 2+2?")]
        );
        assert_eq!(program.used_components(&candidate), ["system"]);
    }

    #[test]
    fn multi_component_prompt_and_component_held_user_template() {
        let program = Program::Chat {
            steps: vec![Step {
                name: "a".into(),
                system: "{{persona}}\n\n{{rules}}".into(),
                user: "{{user_template}}".into(),
            }],
        };
        let candidate = Candidate::new([
            ("persona", "You are terse."),
            ("rules", "Digits only."),
            ("user_template", "Q: {{q}}"),
        ]);
        let example = Example::new([("q", "1+1")], "2");
        let messages = program.messages(0, &candidate, &example, &[]);
        assert_eq!(messages[0].content, "You are terse.\n\nDigits only.");
        assert_eq!(messages[1].content, "Q: 1+1");
        assert_eq!(program.used_components(&candidate), ["persona", "rules", "user_template"]);
    }

    #[test]
    fn chain_step_sees_previous_output() {
        let program = Program::Chat {
            steps: vec![
                Step { name: "plan".into(), system: "{{planner}}".into(), user: "{{q}}".into() },
                Step {
                    name: "final".into(),
                    system: "{{answerer}}".into(),
                    user: "Plan: {{plan}}\nQ: {{q}}".into(),
                },
            ],
        };
        let candidate = Candidate::new([("planner", "Plan it."), ("answerer", "Answer it.")]);
        let example = Example::new([("q", "why?")], "because");
        let messages = program.messages(1, &candidate, &example, &["step one".into()]);
        assert_eq!(messages[1].content, "Plan: step one\nQ: why?");
        assert!(program.validate(&candidate).is_ok());
    }

    #[test]
    fn validation_catches_bad_programs() {
        let seed = Candidate::new([("system", "x")]);
        assert!(Program::Chat { steps: vec![] }.validate(&seed).is_err());
        assert!(Program::Artifact { component: "nope".into() }.validate(&seed).is_err());
        let dup = Program::Chat {
            steps: vec![
                Step { name: "s".into(), system: String::new(), user: "a".into() },
                Step { name: "s".into(), system: String::new(), user: "b".into() },
            ],
        };
        assert!(dup.validate(&seed).is_err());
    }
}
