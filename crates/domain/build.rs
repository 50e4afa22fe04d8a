//! Embeds every `*.toml` file under the workspace's `law/` folder into the library, so that the
//! binary carries the law it applies and runs anywhere. The list is generated, so a new data file
//! needs no code change; the loader rejects files it does not know.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let law_dir = manifest.join("../../law").canonicalize()?;
    println!("cargo:rerun-if-changed={}", law_dir.display());
    let mut files = Vec::new();
    collect(&law_dir, &mut files)?;
    files.sort();
    let mut code =
        String::from("/// Every law data file, as (path relative to `law/`, contents).\n");
    code.push_str("pub const FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file
            .strip_prefix(&law_dir)?
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            file.display().to_string()
        )?;
    }
    // Directories: re-run when a file is added.
    let mut dirs = vec![law_dir.clone()];
    for file in &files {
        if let Some(parent) = file.parent()
            && !dirs.iter().any(|d| d == parent)
        {
            dirs.push(parent.to_path_buf());
        }
    }
    for dir in dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("embedded_law.rs");
    std::fs::write(out, code)?;
    Ok(())
}
