//! What the engine asks the shell to do, and what the shell answers.

use serde::{Deserialize, Serialize};

use crate::data::Split;
use crate::message::ChatMessage;

/// Which configured model a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelRole {
    /// The model being optimised for (runs the candidate program).
    Task,
    /// The model that rewrites components.
    Reflection,
    /// The model that grades outputs for model-graded metrics.
    Judge,
}

/// Why a request exists (for the shell's display and logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// Run step `step` of a candidate program on one example.
    Generate {
        /// Split of the example.
        split: Split,
        /// Example index within the split.
        example: u32,
        /// Program step (0-based).
        step: usize,
    },
    /// Grade an output for a model-graded metric.
    Judge {
        /// Split of the example.
        split: Split,
        /// Example index within the split.
        example: u32,
    },
    /// Rewrite one component of a parent candidate.
    Reflect {
        /// Pool index of the parent.
        parent: usize,
        /// The component being rewritten.
        component: String,
    },
}

/// One model call the shell should make. Ids are unique within a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Identifier to answer with.
    pub id: u64,
    /// Which model to call.
    pub role: ModelRole,
    /// The chat to send.
    pub messages: Vec<ChatMessage>,
    /// Why (display only).
    pub purpose: Purpose,
    /// Which call goes first when its endpoint has no free slot: lower first. The engine ranks
    /// a call by the age of the iteration it serves (iterations in planning order, from 1), so
    /// the oldest iteration in flight, the next to commit, never waits behind a younger one;
    /// the seed's validation ranks with the second iteration (2, issued before it), since
    /// the first one's minibatch and reflection do not need its scores. Shells that queue calls
    /// honour it.
    #[serde(default)]
    pub rank: u64,
}

/// Token usage and cost of one call, as the provider reported it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Cost in US dollars, when the model's price is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

impl Usage {
    /// Adds another call's usage.
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        if let Some(cost) = other.cost_usd {
            self.cost_usd = Some(self.cost_usd.unwrap_or(0.0) + cost);
        }
    }
}

/// How a call failed, which decides what the engine does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The call failed because of this example's content (e.g. a 400 for an over-long prompt,
    /// a content filter). The rollout scores the failure score with the error as feedback and
    /// is charged.
    Content,
    /// Not the candidate's fault (auth, network down, endpoint gone, retries exhausted): the run
    /// pauses with the error, nothing is charged, and resuming re-sends the request.
    Transport,
}

/// The shell's answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// The model answered.
    Text {
        /// The reply text.
        text: String,
        /// True when the reply was cut off by the token limit.
        #[serde(default)]
        truncated: bool,
        /// Usage, if reported.
        #[serde(default)]
        usage: Usage,
    },
    /// The call failed.
    Failed {
        /// What went wrong, for the user.
        error: String,
        /// What the engine should do about it.
        failure: FailureKind,
    },
}

impl Reply {
    /// A complete text reply without usage (handy in tests and scripted models).
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Text { text: text.into(), truncated: false, usage: Usage::default() }
    }
}
