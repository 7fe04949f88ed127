//! Writing generated files: atomically, byte-identical across runs, and removing
//! files that a build no longer produces. `check` compares instead of writing.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::emit::Output;

/// Paths (relative to the output directory) that `build` owns and may delete when it
/// no longer produces them. Anything else in the directory (e.g. `migrations/`) is
/// left alone.
fn is_managed(rel: &str) -> bool {
    rel == "schema.sql"
        || (rel.starts_with("domains/") && rel.ends_with(".sql"))
        || rel == "docs/domains.md"
        || (rel.starts_with("tests/") && rel.ends_with(".sql"))
}

fn existing_managed(out_dir: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![(out_dir.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let p = e.path();
            if p.is_dir() {
                if rel == "domains" || rel == "docs" || rel == "tests" {
                    stack.push((p, rel));
                }
            } else if is_managed(&rel) {
                found.insert(rel);
            }
        }
    }
    found
}

/// What `write` changed.
#[derive(Debug, Default)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
}

/// Writes every file (temporary file, then rename) and removes stale managed files.
pub fn write(out_dir: &Path, output: &Output) -> std::io::Result<WriteReport> {
    let mut report = WriteReport::default();
    for (rel, content) in &output.files {
        let path = out_dir.join(rel);
        if std::fs::read(&path).ok().as_deref() == Some(content.as_bytes()) {
            report.unchanged.push(rel.clone());
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = tmp_path(&path);
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(content.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        report.written.push(rel.clone());
    }
    for rel in existing_managed(out_dir) {
        if !output.files.contains_key(&rel) {
            std::fs::remove_file(out_dir.join(&rel))?;
            report.removed.push(rel);
        }
    }
    Ok(report)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".schemac.tmp");
    path.with_file_name(name)
}

/// One difference between `generated/` and what `build` would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing(String),
    Stale { path: String, diff: String },
    Extra(String),
}

/// Compares the output directory with what `build` would write.
pub fn compare(out_dir: &Path, out_label: &str, output: &Output) -> Vec<Drift> {
    let mut drifts = Vec::new();
    for (rel, content) in &output.files {
        let path = out_dir.join(rel);
        match std::fs::read(&path) {
            Err(_) => drifts.push(Drift::Missing(rel.clone())),
            Ok(bytes) if bytes != content.as_bytes() => {
                let old = String::from_utf8_lossy(&bytes);
                let diff = TextDiff::from_lines(old.as_ref(), content.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("{out_label}/{rel} (on disk)"),
                        &format!("{out_label}/{rel} (from the TOML)"),
                    )
                    .to_string();
                drifts.push(Drift::Stale {
                    path: rel.clone(),
                    diff,
                });
            }
            Ok(_) => {}
        }
    }
    for rel in existing_managed(out_dir) {
        if !output.files.contains_key(&rel) {
            drifts.push(Drift::Extra(rel));
        }
    }
    drifts
}
