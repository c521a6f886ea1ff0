//! What the page's split points give when their chunk cannot be fetched (the connection dropped
//! in the page's first second): an error to show where the part would be, instead of the
//! splitter's default, a panic that stops the page. A later call fetches the chunk again.

/// A part of the page whose chunk could not be fetched.
#[derive(Debug)]
pub struct ChunkMissing;

impl From<leptos::wasm_split::SplitLoaderError> for ChunkMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ChunkMissing
    }
}

impl ChunkMissing {
    /// What to tell the user about `part` (a noun phrase: "The run panels").
    #[must_use]
    pub fn message(&self, part: &str) -> String {
        format!(
            "{part} could not be loaded (the connection dropped while the page was loading): reload the page; your setup is kept."
        )
    }
}
