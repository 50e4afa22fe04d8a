//! Integration tests of vigil-screening (one test binary, several modules).
//!
//! Tests that read the real lists take them from `../shared/data` next to the repository
//! (`<manifest dir>/../../../shared/data`); if the data is missing they fail, they never skip.

// Helpers outside #[test] functions unwrap too: a failure here is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod eval;
mod loaders;
mod properties;
mod search;

use std::path::PathBuf;

/// Reads a file below `shared/data`; panics with a clear message if it is missing.
pub fn data(rel: &str) -> Vec<u8> {
    let path = data_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); these tests need the shared data next to the repository",
            path.display()
        )
    })
}

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}
