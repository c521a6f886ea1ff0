//! Saved runs in IndexedDB: the run file under its id, and a small summary for the list, written
//! together in one transaction (so the list never points at a half-written run).

use serde::{Deserialize, Serialize};

use super::idb::Idb;

const DB: &str = "gepa-playground-runs";
const RUNS: &str = "runs";
const INDEX: &str = "index";

/// One line of the saved-runs list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Run id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Saved at (ms since the epoch).
    pub saved_at_ms: u64,
    /// Rollouts used.
    pub rollouts: u64,
    /// Candidates in the pool.
    pub candidates: usize,
    /// Best mean validation score.
    pub best: Option<f64>,
    /// True once the run has finished.
    pub finished: bool,
}

async fn open() -> Result<Idb, String> {
    Idb::open(DB, 1, &[RUNS, INDEX]).await
}

/// Saves a run atomically.
///
/// # Errors
/// When storage fails; a full quota says so and what to do.
pub async fn save(summary: &RunSummary, run_json: &str) -> Result<(), String> {
    let db = open().await?;
    let index = serde_json::to_string(summary).map_err(|e| e.to_string())?;
    db.put_all(&[(RUNS, &summary.id, run_json), (INDEX, &summary.id, &index)]).await
}

/// Every saved run's summary, newest first.
///
/// # Errors
/// When storage cannot be read.
pub async fn list() -> Result<Vec<RunSummary>, String> {
    let db = open().await?;
    let mut out = Vec::new();
    for key in db.keys(INDEX).await? {
        if let Some(text) = db.get(INDEX, &key).await?
            && let Ok(summary) = serde_json::from_str::<RunSummary>(&text)
        {
            out.push(summary);
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.saved_at_ms));
    Ok(out)
}

/// A saved run's file text.
///
/// # Errors
/// When storage cannot be read or the run is gone.
pub async fn load(id: &str) -> Result<String, String> {
    open().await?.get(RUNS, id).await?.ok_or_else(|| "that saved run is gone".into())
}

/// Deletes a saved run.
///
/// # Errors
/// When storage fails.
pub async fn delete(id: &str) -> Result<(), String> {
    open().await?.delete_all(&[RUNS, INDEX], id).await
}
