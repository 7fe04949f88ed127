//! The released migrations in `<out>/migrations/`: one folder per migration
//! (`NNNN_<name>/up.sql`, `down.sql`, `cleanup.sql` when it made compatibility
//! views, `snapshot.json`) and `schemac.sum`, a checksum of every released file
//! (like atlas.sum) so an edited or deleted migration is noticed.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::Ir;
use crate::plan::migrate::{plan_migration, Migration, MigrationRequest};

use crate::plan::snapshot::Snapshot;

pub const SUM_FILE: &str = "schemac.sum";

/// A released migration folder.
#[derive(Debug, Clone)]
pub struct Released {
    pub number: u64,
    pub dir_name: String,
    pub path: PathBuf,
}

/// Released migrations in order (folders named `NNNN_<name>`). Hidden entries (a
/// `migrate` in progress) are skipped; any other folder is a released migration, and one
/// whose name is not `NNNN_<name>` is reported by [`stray_folders`].
pub fn released(migrations_dir: &Path) -> Vec<Released> {
    let mut v: Vec<Released> = std::fs::read_dir(migrations_dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let number = migration_number(&name)?;
                    Some(Released {
                        number,
                        dir_name: name,
                        path: e.path(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort_by_key(|r| (r.number, r.dir_name.clone()));
    v
}

/// The number of a folder named `NNNN_<name>`.
fn migration_number(dir_name: &str) -> Option<u64> {
    let (digits, rest) = dir_name.split_once('_')?;
    let valid_rest = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || !valid_rest {
        return None;
    }
    digits.parse().ok()
}

/// Folders in the migrations directory that are not `NNNN_<name>` (or whose number
/// does not fit in 64 bits): a history with them cannot be ordered.
pub fn stray_folders(migrations_dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(migrations_dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && migration_number(n).is_none())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file of a released migration, subfolders included, by path relative to it.
fn files_of(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let rel = format!("{prefix}{}", e.file_name().to_string_lossy());
        let path = e.path();
        if path.is_dir() {
            files_of(&path, &format!("{rel}/"), out);
        } else {
            out.push((rel, path));
        }
    }
}

/// The checksum file's text for the folders as they are on disk.
pub fn compute_sum(migrations_dir: &Path) -> String {
    let mut lines = Vec::new();
    for r in released(migrations_dir) {
        let mut files = Vec::new();
        files_of(&r.path, "", &mut files);
        files.sort();
        for (rel, f) in files {
            let bytes = std::fs::read(&f).unwrap_or_default();
            lines.push(format!(
                "{}  {}/{rel}",
                hex(&Sha256::digest(&bytes)),
                r.dir_name
            ));
        }
    }
    let body = lines.join("\n");
    format!("total {}\n{body}\n", hex(&Sha256::digest(body.as_bytes())))
}

/// What differs between the released migrations and `schemac.sum`, and folders that are
/// not migrations, as one diagnostic; `None` when the history is intact.
fn history_problems(migrations_dir: &Path, label: &str) -> Option<Diagnostic> {
    let stray = stray_folders(migrations_dir);
    if !stray.is_empty() {
        return Some(
            Diagnostic::error(
                "migration-history-changed",
                format!(
                    "{label} holds folders that are not migrations: {}",
                    stray.join(", ")
                ),
            )
            .help("a migration folder is named NNNN_<name> (digits, then lower-case letters, digits and underscores); move other folders out of the migrations directory"),
        );
    }
    let sum_path = migrations_dir.join(SUM_FILE);
    let on_disk = std::fs::read_to_string(&sum_path).ok();
    if on_disk.is_none() && released(migrations_dir).is_empty() {
        // An empty history: nothing released, nothing recorded.
        return None;
    }
    let on_disk = on_disk.unwrap_or_default();
    let current = compute_sum(migrations_dir);
    if on_disk == current {
        return None;
    }
    let entries = |text: &str| -> Vec<(String, String)> {
        text.lines()
            .skip(1)
            .filter_map(|l| l.split_once("  "))
            .map(|(sum, path)| (path.to_string(), sum.to_string()))
            .collect()
    };
    let (old, new) = (entries(&on_disk), entries(&current));
    let mut changed = Vec::new();
    for (path, sum) in &old {
        match new.iter().find(|(p, _)| p == path) {
            None => changed.push(format!("{label}/{path} was deleted")),
            Some((_, s)) if s != sum => changed.push(format!("{label}/{path} was edited")),
            _ => {}
        }
    }
    for (path, _) in &new {
        if !old.iter().any(|(p, _)| p == path) {
            changed.push(format!("{label}/{path} is not recorded in {SUM_FILE}"));
        }
    }
    let what = if on_disk.is_empty() {
        format!("{label}/{SUM_FILE} is missing")
    } else if changed.is_empty() {
        format!("{label}/{SUM_FILE} was edited")
    } else {
        changed.join("; ")
    };
    Some(
        Diagnostic::error(
            "migration-history-changed",
            format!("released migrations differ from {SUM_FILE}: {what}"),
        )
        .help("released migrations are immutable: restore them (git checkout), and put new changes in a new migration with `schemac migrate <name>`"),
    )
}

/// Why the released history cannot be trusted, as one sentence; `None` when intact.
pub fn problems(migrations_dir: &Path) -> Option<String> {
    history_problems(migrations_dir, &migrations_dir.display().to_string())
        .map(|d| format!("{} ({})", d.message, d.help.unwrap_or_default()))
}

/// The state after the last released migration (the empty database when none).
pub fn last_snapshot(migrations_dir: &Path, default_schema: &str) -> Result<Snapshot, String> {
    match released(migrations_dir).last() {
        None => Ok(Snapshot::empty(default_schema)),
        Some(r) => {
            let p = r.path.join("snapshot.json");
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read {}/snapshot.json: {e}", r.dir_name))?;
            Snapshot::from_json(&text).map_err(|e| format!("{}/snapshot.json: {e}", r.dir_name))
        }
    }
}

/// Checks the history: checksums match, and the TOML has no changes without a
/// migration. Only for projects that keep a history (the folder exists).
pub fn verify(migrations_dir: &Path, label: &str, ir: &Ir, diags: &mut Diagnostics) {
    if !migrations_dir.is_dir() {
        return;
    }
    if let Some(d) = history_problems(migrations_dir, label) {
        diags.push(d);
        return;
    }
    match last_snapshot(migrations_dir, &ir.project.default_schema) {
        Err(e) => diags.push(
            Diagnostic::error("migration-history-unreadable", e)
                .help("restore the migration folder from version control"),
        ),
        Ok(last) => {
            if last.db_state() != Snapshot::from_ir(ir).db_state() {
                diags.push(
                    Diagnostic::error("migration-missing", "the schema differs from the state after the last migration")
                        .help("run `schemac migrate <name>` to compile the changes into a new migration, review it and commit it"),
                );
            }
        }
    }
}

/// What `migrate` did.
pub enum MigrateOutcome {
    NothingToDo,
    Written {
        dir_name: String,
        migration: Migration,
    },
}

/// Compiles the changes since the last migration into the next folder.
pub fn migrate(
    migrations_dir: &Path,
    name: &str,
    ir: &Ir,
    diags: &mut Diagnostics,
) -> std::io::Result<Option<MigrateOutcome>> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        diags.push(
            Diagnostic::error(
                "invalid-migration-name",
                format!("`{name}` is not a migration name"),
            )
            .help("use lower-case letters, digits and underscores, e.g. `add_crm_leads`"),
        );
        return Ok(None);
    }
    if migrations_dir.is_dir() {
        if let Some(d) = history_problems(migrations_dir, &migrations_dir.display().to_string()) {
            diags.push(d);
            return Ok(None);
        }
    }
    let old = match last_snapshot(migrations_dir, &ir.project.default_schema) {
        Ok(s) => s,
        Err(e) => {
            diags.push(
                Diagnostic::error("migration-history-unreadable", e)
                    .help("restore the migration folder from version control"),
            );
            return Ok(None);
        }
    };
    let new = Snapshot::from_ir(ir);
    if old.db_state() == new.db_state() {
        return Ok(Some(MigrateOutcome::NothingToDo));
    }
    write_migration(migrations_dir, name, &old, &new, &Request::of(ir), diags)
}

/// What a migration needs from the project besides the two states.
pub struct Request<'a> {
    pub table_renames: &'a [crate::ir::TableRename],
    pub column_renames: &'a [crate::ir::ColumnRename],
    pub accepted: &'a [crate::ir::AcceptedLoss],
    pub lock_timeout: &'a str,
    pub statement_timeout: &'a str,
    pub platform: crate::ir::Platform,
}

impl<'a> Request<'a> {
    /// What the project's TOML says about its migrations.
    pub fn of(ir: &'a Ir) -> Self {
        Request {
            table_renames: &ir.table_renames,
            column_renames: &ir.column_renames,
            accepted: &ir.accepted_losses,
            lock_timeout: &ir.project.lock_timeout,
            statement_timeout: &ir.project.statement_timeout,
            platform: ir.project.platform,
        }
    }

    /// The planner's request for the migration `name` from `old` to `new`.
    pub fn planning(
        &self,
        name: &'a str,
        old: &'a Snapshot,
        new: &'a Snapshot,
    ) -> MigrationRequest<'a> {
        MigrationRequest {
            name,
            old,
            new,
            table_renames: self.table_renames,
            column_renames: self.column_renames,
            accepted: self.accepted,
            lock_timeout: self.lock_timeout,
            statement_timeout: self.statement_timeout,
            platform: self.platform,
        }
    }
}

/// Plans the migration from `old` to `new` and writes it as the next folder
/// (atomically: a temporary folder renamed into place), then updates the sums.
pub fn write_migration(
    migrations_dir: &Path,
    name: &str,
    old: &Snapshot,
    new: &Snapshot,
    r: &Request,
    diags: &mut Diagnostics,
) -> std::io::Result<Option<MigrateOutcome>> {
    let Some(number) = released(migrations_dir)
        .last()
        .map_or(Some(1), |r| r.number.checked_add(1))
    else {
        diags.push(
            Diagnostic::error(
                "migration-history-changed",
                "the last migration's number is the largest there can be",
            )
            .help("renumber the history's folders from 0001 (and run `schemac migrate` again)"),
        );
        return Ok(None);
    };
    let dir_name = format!("{number:04}_{name}");
    let req = r.planning(&dir_name, old, new);
    let Some(migration) = plan_migration(&req, diags) else {
        return Ok(None);
    };
    std::fs::create_dir_all(migrations_dir)?;
    let dir = migrations_dir.join(&dir_name);
    let tmp = migrations_dir.join(format!(".{dir_name}.schemac.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    std::fs::write(tmp.join("up.sql"), &migration.up)?;
    std::fs::write(tmp.join("down.sql"), &migration.down)?;
    if let Some(c) = &migration.cleanup {
        std::fs::write(tmp.join("cleanup.sql"), c)?;
    }
    std::fs::write(tmp.join("snapshot.json"), new.db_state().to_json())?;
    std::fs::rename(&tmp, &dir)?;
    crate::output::replace_file(
        &migrations_dir.join(SUM_FILE),
        compute_sum(migrations_dir).as_bytes(),
    )?;
    Ok(Some(MigrateOutcome::Written {
        dir_name,
        migration,
    }))
}
