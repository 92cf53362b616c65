//! The index's file in `INDEX_DIR`: the documents, each kept order and the cursor (when the
//! data was known current), so a restart opens at once and only catches up on what changed
//! since. Written to a temporary file and renamed, so a crash never leaves half a file; a file
//! of another format version, or unreadable, is ignored (the index walks instead).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::replica::{Currency, Doc, Replica};

/// Bumped whenever `Saved` or `Doc` changes shape.
const FORMAT: u32 = 1;
const FILE: &str = "catalogue-index.bin";

#[derive(Serialize)]
struct SavedRef<'a> {
    format: u32,
    /// Unix seconds; changes after this may be missing from the file.
    cursor: u64,
    currency: Option<&'a Currency>,
    docs: Vec<&'a Doc>,
    orders: Vec<Vec<u64>>,
}

/// A file's content, ready to be rebuilt into a replica (with fresh taxonomies).
#[derive(Deserialize)]
pub struct Saved {
    format: u32,
    pub cursor: u64,
    pub currency: Option<Currency>,
    pub docs: Vec<Doc>,
    pub orders: Vec<Vec<u64>>,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Writes the replica with `cursor`; returns the bytes written.
pub fn save(dir: &Path, replica: &Replica, cursor: u64) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let (docs, orders) = replica.parts();
    let saved = SavedRef { format: FORMAT, cursor, currency: replica.currency.as_ref(), docs, orders };
    let bytes = postcard::to_stdvec(&saved).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, path(dir))?;
    Ok(bytes.len())
}

/// The saved index, if there is a readable one of this format.
pub fn load(dir: &Path) -> Option<Saved> {
    let bytes = match std::fs::read(path(dir)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot read the catalogue index file; walking instead");
            return None;
        }
    };
    match postcard::from_bytes::<Saved>(&bytes) {
        Ok(saved) if saved.format == FORMAT => Some(saved),
        Ok(saved) => {
            tracing::info!(format = saved.format, "the catalogue index file has another format; walking instead");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "the catalogue index file is unreadable; walking instead");
            None
        }
    }
}
