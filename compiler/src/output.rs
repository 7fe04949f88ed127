//! Writing generated files: the whole output directory at once, byte-identical across
//! runs, without the files a build no longer produces. `check` compares instead of
//! writing.

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

/// Why a build's output could not be written. Nothing in the output directory changed.
#[derive(Debug)]
pub struct WriteError {
    /// The file or directory the operation failed on.
    pub path: PathBuf,
    pub error: std::io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.error)
    }
}

fn at(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |error| WriteError {
        path: path.to_path_buf(),
        error,
    }
}

/// Writes the output, all or nothing: the new directory is assembled beside the old one
/// (files `build` does not manage, such as `migrations/`, are hard-linked into it) and
/// then exchanged with it in one `rename`. A build that fails or is killed leaves the old
/// directory as it was; what it left beside it is removed by the next build.
///
/// Builds of the same output directory serialize on a lock held on its parent directory.
/// No existing path is written through: new files are created exclusively inside a new
/// directory, so a symlink planted at a file's path is never followed.
pub fn write(out_dir: &Path, output: &Output) -> Result<WriteReport, WriteError> {
    // An output directory that is a symlink is replaced where it really is, and the link
    // stays.
    let real = resolve_symlink(out_dir);
    let out_dir = real.as_path();
    let parent = parent_of(out_dir);
    std::fs::create_dir_all(&parent).map_err(at(&parent))?;
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| WriteError {
            path: out_dir.to_path_buf(),
            error: std::io::Error::other("the output directory needs a name"),
        })?;
    let _lock = lock_output_dir(out_dir)?;
    remove_leftovers(&parent, &name);

    let mut report = WriteReport::default();
    for (rel, content) in &output.files {
        if std::fs::read(out_dir.join(rel)).ok().as_deref() == Some(content.as_bytes()) {
            report.unchanged.push(rel.clone());
        } else {
            report.written.push(rel.clone());
        }
    }
    let old_managed = existing_managed(out_dir);
    report.removed = old_managed
        .iter()
        .filter(|rel| !output.files.contains_key(*rel))
        .cloned()
        .collect();
    if report.written.is_empty() && report.removed.is_empty() {
        return Ok(report);
    }

    let stage = parent.join(format!(".{name}.schemac-new-{}", std::process::id()));
    let assembled = assemble(&stage, out_dir, output);
    if let Err(e) = assembled.and_then(|()| swap(&stage, out_dir)) {
        let _ = std::fs::remove_dir_all(&stage);
        return Err(e);
    }
    // `stage` now holds the old directory.
    let _ = std::fs::remove_dir_all(&stage);
    sync_dir(&parent);
    Ok(report)
}

/// Waits for, then holds until dropped, the lock that every command writing into an
/// output directory takes (`build`, `migrate`): an exclusive `flock` on its parent
/// directory, which the kernel releases when the holder exits or is killed.
pub fn lock_output_dir(out_dir: &Path) -> Result<std::fs::File, WriteError> {
    let parent = parent_of(&resolve_symlink(out_dir));
    std::fs::create_dir_all(&parent).map_err(at(&parent))?;
    let lock = std::fs::File::open(&parent).map_err(at(&parent))?;
    lock.lock().map_err(at(&parent))?;
    Ok(lock)
}

/// Writes a file by creating a new one beside it and renaming it into place: readers
/// see the old or the new content, and a symlink at the path is replaced, not followed.
pub fn replace_file(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_file_name(format!(".{name}.schemac-{}-{nanos}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn resolve_symlink(path: &Path) -> PathBuf {
    if path.is_symlink() {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    }
}

fn parent_of(out_dir: &Path) -> PathBuf {
    match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Builds the complete new output directory at `stage`.
fn assemble(stage: &Path, out_dir: &Path, output: &Output) -> Result<(), WriteError> {
    std::fs::create_dir(stage).map_err(at(stage))?;
    if out_dir.is_dir() {
        carry_over(out_dir, stage, "")?;
    }
    for (rel, content) in &output.files {
        let path = stage.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(at(&out_dir.join(rel)))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(at(&out_dir.join(rel)))?;
        f.write_all(content.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(at(&out_dir.join(rel)))?;
    }
    Ok(())
}

/// Links every file of the old directory that `build` does not manage into the new
/// one (copies it where a hard link is not possible); symlinks are recreated as links.
fn carry_over(from: &Path, to: &Path, prefix: &str) -> Result<(), WriteError> {
    for e in std::fs::read_dir(from).map_err(at(from))? {
        let e = e.map_err(at(from))?;
        let name = e.file_name();
        let rel = if prefix.is_empty() {
            name.to_string_lossy().into_owned()
        } else {
            format!("{prefix}/{}", name.to_string_lossy())
        };
        let (src, dst) = (e.path(), to.join(&name));
        let kind = e.file_type().map_err(at(&src))?;
        if is_managed(&rel) && !kind.is_dir() {
            // Written anew (whatever it was, a symlink included).
            continue;
        }
        if kind.is_symlink() {
            let target = std::fs::read_link(&src).map_err(at(&src))?;
            symlink(&target, &dst).map_err(at(&src))?;
        } else if kind.is_dir() {
            std::fs::create_dir(&dst).map_err(at(&src))?;
            carry_over(&src, &dst, &rel)?;
        } else if std::fs::hard_link(&src, &dst).is_err() {
            std::fs::copy(&src, &dst).map_err(at(&src))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}
#[cfg(not(unix))]
fn symlink(_target: &Path, link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(format!(
        "cannot carry the symlink {} over on this platform",
        link.display()
    )))
}

/// Puts `stage` in the place of `out_dir`, and the old directory (if any) at `stage`.
fn swap(stage: &Path, out_dir: &Path) -> Result<(), WriteError> {
    if !out_dir.exists() {
        return std::fs::rename(stage, out_dir).map_err(at(out_dir));
    }
    #[cfg(target_os = "linux")]
    {
        if exchange(stage, out_dir).is_ok() {
            return Ok(());
        }
    }
    // Without an atomic exchange: two renames, the old directory moved aside first.
    let aside = stage.with_file_name(
        stage
            .file_name()
            .map(|n| n.to_string_lossy().replace("schemac-new", "schemac-old"))
            .unwrap_or_default(),
    );
    std::fs::rename(out_dir, &aside).map_err(at(out_dir))?;
    if let Err(e) = std::fs::rename(stage, out_dir) {
        let _ = std::fs::rename(&aside, out_dir);
        return Err(at(out_dir)(e));
    }
    std::fs::rename(&aside, stage).map_err(at(stage))
}

/// `renameat2(RENAME_EXCHANGE)`: both paths exist before and after, with their contents
/// exchanged in one step.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Removes what killed builds of this output directory left beside it.
fn remove_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}.schemac-");
    let Ok(rd) = std::fs::read_dir(parent) else {
        return;
    };
    for e in rd.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix)
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// One difference between `generated/` and what `build` would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing(String),
    Stale { path: String, diff: String },
    Extra(String),
}

/// Time given to computing one file's diff for `check`.
const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(500);

/// Compares the output directory with what `build` would write.
pub fn compare(out_dir: &Path, out_label: &str, output: &Output) -> Vec<Drift> {
    let mut drifts = Vec::new();
    for (rel, content) in &output.files {
        let path = out_dir.join(rel);
        match std::fs::read(&path) {
            Err(_) => drifts.push(Drift::Missing(rel.clone())),
            Ok(bytes) if bytes != content.as_bytes() => {
                let old = String::from_utf8_lossy(&bytes);
                // Myers' diff is quadratic on files that share little; past the deadline
                // `similar` settles for a coarser (still correct) diff.
                let diff = TextDiff::configure()
                    .deadline(std::time::Instant::now() + DIFF_DEADLINE)
                    .diff_lines(old.as_ref(), content.as_str())
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
