//! Reading inputs and writing run files atomically (a crash mid-write leaves the last good file).

use std::path::{Path, PathBuf};

/// Reads a text file, naming it in the error.
///
/// # Errors
/// When it cannot be read.
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Writes `text` to `path` through a temporary file and a rename.
///
/// # Errors
/// When the file cannot be written.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let mut tmp = PathBuf::from(path);
    tmp.set_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}
