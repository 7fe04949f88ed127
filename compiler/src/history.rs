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
    pub number: u32,
    pub dir_name: String,
    pub path: PathBuf,
}

/// Released migrations in order (folders named `NNNN_<name>`).
pub fn released(migrations_dir: &Path) -> Vec<Released> {
    let mut v: Vec<Released> = std::fs::read_dir(migrations_dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let number = name.split('_').next()?.parse::<u32>().ok()?;
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksum file's text for the folders as they are on disk.
pub fn compute_sum(migrations_dir: &Path) -> String {
    let mut lines = Vec::new();
    for r in released(migrations_dir) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&r.path)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap_or_default();
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            lines.push(format!(
                "{}  {}/{name}",
                hex(&Sha256::digest(&bytes)),
                r.dir_name
            ));
        }
    }
    let body = lines.join("\n");
    format!("total {}\n{body}\n", hex(&Sha256::digest(body.as_bytes())))
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
    let sum_path = migrations_dir.join(SUM_FILE);
    let on_disk = std::fs::read_to_string(&sum_path).unwrap_or_default();
    let current = compute_sum(migrations_dir);
    if on_disk != current {
        let old: Vec<&str> = on_disk.lines().skip(1).collect();
        let new: Vec<&str> = current.lines().skip(1).collect();
        let path_of = |l: &str| {
            l.split_once("  ")
                .map(|(_, p)| p.to_string())
                .unwrap_or_default()
        };
        let mut changed = Vec::new();
        for l in &old {
            let p = path_of(l);
            match new.iter().find(|n| path_of(n) == p) {
                None => changed.push(format!("{p} was deleted")),
                Some(n) if n != l => changed.push(format!("{p} was edited")),
                _ => {}
            }
        }
        for n in &new {
            let p = path_of(n);
            if !old.iter().any(|l| path_of(l) == p) {
                changed.push(format!("{p} is not recorded in {SUM_FILE}"));
            }
        }
        diags.push(
            Diagnostic::error("migration-history-changed", format!("released migrations in {label} differ from {SUM_FILE}: {}", if changed.is_empty() { "the checksum file was edited".to_string() } else { changed.join("; ") }))
                .help("released migrations are immutable: restore them (git checkout), and put new changes in a new migration with `schemac migrate <name>`"),
        );
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
        let mut before = Diagnostics::default();
        verify_sums_only(migrations_dir, &mut before);
        if before.has_errors() {
            diags.extend(before);
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
    let req = Request {
        table_renames: &ir.table_renames,
        column_renames: &ir.column_renames,
        accepted: &ir.accepted_losses,
        lock_timeout: &ir.project.lock_timeout,
        statement_timeout: &ir.project.statement_timeout,
    };
    write_migration(migrations_dir, name, &old, &new, &req, diags)
}

/// What a migration needs from the project besides the two states.
pub struct Request<'a> {
    pub table_renames: &'a [crate::ir::TableRename],
    pub column_renames: &'a [crate::ir::ColumnRename],
    pub accepted: &'a [crate::ir::AcceptedLoss],
    pub lock_timeout: &'a str,
    pub statement_timeout: &'a str,
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
    let number = released(migrations_dir).last().map_or(1, |r| r.number + 1);
    let dir_name = format!("{number:04}_{name}");
    let req = MigrationRequest {
        name: &dir_name,
        old,
        new,
        table_renames: r.table_renames,
        column_renames: r.column_renames,
        accepted: r.accepted,
        lock_timeout: r.lock_timeout,
        statement_timeout: r.statement_timeout,
    };
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
    std::fs::write(migrations_dir.join(SUM_FILE), compute_sum(migrations_dir))?;
    Ok(Some(MigrateOutcome::Written {
        dir_name,
        migration,
    }))
}

fn verify_sums_only(migrations_dir: &Path, diags: &mut Diagnostics) {
    let on_disk = std::fs::read_to_string(migrations_dir.join(SUM_FILE)).unwrap_or_default();
    if !released(migrations_dir).is_empty() && on_disk != compute_sum(migrations_dir) {
        diags.push(
            Diagnostic::error(
                "migration-history-changed",
                format!("released migrations differ from {SUM_FILE}"),
            )
            .help("restore the released migrations (git checkout) before adding a new one"),
        );
    }
}
