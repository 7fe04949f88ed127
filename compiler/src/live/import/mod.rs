//! `schemac import`: an existing database as a TOML project.
//!
//! The catalogs of the chosen schemas are read (`read.rs`) and written in the layout of
//! `schemas/` (`write.rs`): one domain per table-name prefix. What the language cannot
//! express (an overloaded function, an index with descending columns, ...) becomes a raw
//! block, listed in the report. The project is then compiled: naming rules the imported
//! names break are set to warnings in `[lint]`, and each security finding is exempted on
//! its object with a reason that says it was imported as found, so the project builds
//! and the debt stays visible.

mod access;
mod coverage;
mod external;
mod model;
mod read;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::Severity;
use crate::lint::Subject;
use crate::live::drift::Query;

pub use coverage::{Skipped, Tally};

/// What an import wrote and found.
#[derive(Debug, Default)]
pub struct Report {
    pub tables: usize,
    pub files: usize,
    /// Raw blocks: name and why.
    pub raw: Vec<(String, String)>,
    /// Security findings exempted as imported: object and rule.
    pub exempted: Vec<(String, String)>,
    /// Naming rules set to warnings.
    pub relaxed: Vec<String>,
    /// Extensions the database has, which the project does not create.
    pub extensions: Vec<String>,
    /// Errors left when compiling the imported project (empty when it builds).
    pub errors: Vec<String>,
    /// Catalog objects the import left out, each with why.
    pub skipped: Vec<Skipped>,
    /// Objects per kind: taken as language, as raw blocks, left out.
    pub tally: BTreeMap<String, Tally>,
}

fn write_files(dir: &Path, files: &BTreeMap<String, String>) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    for (rel, text) in files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    Ok(())
}

/// Imports `schemas` (the first is the default schema) into the project directory `dir`.
pub fn import(
    query: &mut Query,
    schemas: &[String],
    dir: &Path,
    force: bool,
) -> Result<Report, String> {
    let default_schema = schemas.first().cloned().unwrap_or_else(|| "public".into());
    let occupied = dir.join("schemac.toml").exists() || dir.join("domains").exists();
    if occupied && !force {
        return Err(format!(
            "{} already holds a project: pass --force to replace it, or import into another directory",
            dir.display()
        ));
    }
    // The catalog queries join pg_depend, pg_class and pg_attribute over every object.
    // Right after a bulk load their statistics are stale, and the planner's nested loops
    // over them took 76 s at 10,000 tables (0.4 s with hash joins): this session asks for
    // hash and merge joins while it reads.
    query("SET enable_nestloop = off")?;
    let cat = read::read(query, schemas);
    query("RESET enable_nestloop")?;
    let cat = cat?;
    let in_list = schemas
        .iter()
        .map(|s| read::lit(s))
        .collect::<Vec<_>>()
        .join(",");
    let skipped = coverage::skipped(query, &in_list)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into());
    let parent = dir
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let stage = parent.join(format!(".{name}.schemac-import-{}", std::process::id()));

    let mut lint: BTreeMap<String, String> = BTreeMap::new();
    let mut allow: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    let mut report = Report {
        tables: cat.tables.len(),
        raw: cat
            .raws
            .iter()
            .map(|r| (r.name.clone(), r.why.clone()))
            .collect(),
        extensions: cat.extensions.iter().map(|e| e.0.clone()).collect(),
        tally: coverage::tally(&cat, &skipped),
        skipped,
        ..Default::default()
    };
    // Domains that depend on each other cannot be deployed one after another: merge them
    // until no cycle is left.
    let mut merged = write::Merged::new();
    let mut files = write::project(&cat, &default_schema, &lint, &allow, &merged);
    write_files(&stage, &files)?;
    let mut c = crate::compile(&stage);
    for _ in 0..64 {
        let Some(cycle) = c
            .diagnostics
            .sorted(&c.sources)
            .into_iter()
            .find(|d| d.code == "domain-cycle")
        else {
            break;
        };
        let names: Vec<String> = cycle
            .message
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        let Some(into) = names
            .iter()
            .find(|n| *n == "core")
            .or(names.first())
            .cloned()
        else {
            break;
        };
        for n in names.iter().filter(|n| **n != into) {
            merged.insert(n.clone(), into.clone());
        }
        files = write::project(&cat, &default_schema, &lint, &allow, &merged);
        write_files(&stage, &files)?;
        c = crate::compile(&stage);
    }
    if let (Some(ir), Some(lr)) = (&c.ir, &c.lint) {
        for (f, sev) in &lr.active {
            if *sev != Severity::Error {
                continue;
            }
            let code = crate::lint::rule(f.rule).map_or("", |r| r.code);
            if code.starts_with('N') {
                lint.insert(f.rule.to_string(), "warn".into());
                continue;
            }
            let (kind, object) = match f.subject {
                Subject::Table(i) => ("tables", ir.tables[i].name.name.clone()),
                Subject::View(i) => ("views", ir.views[i].name.name.clone()),
                Subject::Function(i) => ("functions", ir.functions[i].name.name.clone()),
                Subject::OnExternal(i) => ("on", ir.on_external[i].key.clone()),
                Subject::Project => continue,
            };
            let items = allow.entry((kind.to_string(), object.clone())).or_default();
            if !items.iter().any(|(r, _)| r == f.rule) {
                items.push((f.rule.to_string(), format!("Imported as found in the database ({}). Fix it, or replace this with the reason it is safe", f.message)));
                report.exempted.push((object, f.rule.to_string()));
            }
        }
        report.relaxed = lint.keys().cloned().collect();
        if !lint.is_empty() || !allow.is_empty() {
            files = write::project(&cat, &default_schema, &lint, &allow, &merged);
            write_files(&stage, &files)?;
        }
    }
    let c = crate::compile(&stage);
    for d in c
        .diagnostics
        .sorted(&c.sources)
        .iter()
        .filter(|d| d.severity == Severity::Error)
    {
        let at = d
            .labels
            .first()
            .map(|l| {
                let (line, col) = c.sources.line_col(l.loc.file, l.loc.span.start);
                format!("{}:{line}:{col}: ", c.sources.get(l.loc.file).path)
            })
            .unwrap_or_default();
        report.errors.push(format!("{at}{}: {}", d.code, d.message));
    }
    report.files = files.len();

    // Into place: the old project (with --force) is replaced in one step per directory.
    if dir.exists() {
        let old = parent.join(format!(".{name}.schemac-replaced-{}", std::process::id()));
        std::fs::rename(dir, &old)
            .map_err(|e| format!("cannot move {} aside: {e}", dir.display()))?;
        let moved = std::fs::rename(&stage, dir);
        if let Err(e) = moved {
            let _ = std::fs::rename(&old, dir);
            return Err(format!("cannot write {}: {e}", dir.display()));
        }
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&stage, dir).map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
    }
    Ok(report)
}
