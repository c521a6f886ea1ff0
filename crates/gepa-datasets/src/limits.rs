//! Size limits for imported data, chosen so a browser tab stays responsive: a 5 MB paste of
//! 10,000 rows parses in well under a second, and the whole dataset fits comfortably in a saved
//! run. Past a limit the import stops with a message saying which limit and what to do.

use serde::{Deserialize, Serialize};

/// The limits an import enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest input, in bytes.
    pub max_bytes: usize,
    /// Most data rows.
    pub max_rows: usize,
    /// Most columns.
    pub max_columns: usize,
    /// Longest single field, in characters.
    pub max_field_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 5 * 1024 * 1024,
            max_rows: 10_000,
            max_columns: 64,
            max_field_chars: 20_000,
        }
    }
}

/// Human-readable byte size.
#[must_use]
pub fn human_bytes(bytes: usize) -> String {
    #[expect(clippy::cast_precision_loss, reason = "display only")]
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}
