//! The generated SQL passes squawk (https://squawkhq.com), run as a library (the
//! `squawk-linter` crate, so the tests need no `squawk` binary), except for findings the
//! SQL itself annotates as intended (`-- squawk-ignore <rule>`). The repository's
//! `.squawk.toml` turns off only the rules that judge declared column types.

mod support;

use std::path::PathBuf;

use schemac::diag::Diagnostics;
use schemac::plan::migrate::{plan_migration, MigrationRequest};
use schemac::plan::snapshot::Snapshot;
use squawk_linter::Linter;
use squawk_linter::Rule;

#[test]
fn generated_sql_passes_squawk() {
    let root = support::repo_root();
    let dir = std::env::temp_dir().join(format!("schemac-squawk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut write = |name: String, text: &str| {
        let p = dir.join(name.replace('/', "__"));
        std::fs::write(&p, text).unwrap();
        files.push(p);
    };
    // Every project's build output (the migrations of the example history included).
    for project in support::all_projects() {
        let c = support::compile_ok(&project);
        let label = project.file_name().unwrap().to_string_lossy().into_owned();
        for (name, text) in &c.output.as_ref().unwrap().files {
            if name.ends_with(".sql") && !name.starts_with("tests/") {
                write(format!("{label}__{name}"), text);
            }
        }
    }
    for entry in std::fs::read_dir(root.join("generated/migrations"))
        .unwrap()
        .flatten()
    {
        if entry.path().is_dir() {
            for f in std::fs::read_dir(entry.path())
                .unwrap()
                .flatten()
                .filter(|f| f.path().extension().is_some_and(|e| e == "sql"))
            {
                write(
                    format!(
                        "history__{}__{}",
                        entry.file_name().to_string_lossy(),
                        f.file_name().to_string_lossy()
                    ),
                    &std::fs::read_to_string(f.path()).unwrap(),
                );
            }
        }
    }
    // Every migration fixture, both directions.
    let fixtures = root.join("compiler/tests/fixtures/migrations/ok");
    for case in std::fs::read_dir(&fixtures).unwrap().flatten() {
        let before = support::compile_ok(&case.path().join("before"));
        let after = support::compile_ok(&case.path().join("after"));
        let ir = after.ir.as_ref().unwrap();
        let (old, new) = (
            Snapshot::from_ir(before.ir.as_ref().unwrap()),
            Snapshot::from_ir(ir),
        );
        let mut d = Diagnostics::default();
        let m = plan_migration(
            &MigrationRequest {
                name: "0002",
                old: &old,
                new: &new,
                table_renames: &ir.table_renames,
                column_renames: &ir.column_renames,
                accepted: &ir.accepted_losses,
                lock_timeout: "5s",
                statement_timeout: "60s",
                platform: ir.project.platform,
            },
            &mut d,
        )
        .unwrap();
        let label = case.file_name().to_string_lossy().into_owned();
        write(format!("fixture__{label}__up.sql"), &m.up);
        write(format!("fixture__{label}__down.sql"), &m.down);
        if let Some(c) = &m.cleanup {
            write(format!("fixture__{label}__cleanup.sql"), c);
        }
    }
    // squawk's own linter, as a library: the rules and the `-- squawk-ignore` handling of
    // the `squawk` command, with the exclusions of the repository's `.squawk.toml`.
    let config: toml::Table = std::fs::read_to_string(root.join(".squawk.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let excluded: Vec<Rule> = config["excluded_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    // The linter as configured does find what it should: a statement squawk rejects.
    let bad = "ALTER TABLE t ADD COLUMN c integer NOT NULL;\n";
    let found =
        Linter::with_rules(&[], &excluded).lint(&squawk_syntax::SourceFile::parse(bad), bad);
    assert!(
        found.iter().any(|v| v.code == Rule::AddingRequiredField),
        "squawk did not flag a known violation: {found:?}"
    );
    let mut report = String::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let parse = squawk_syntax::SourceFile::parse(&text);
        let name = path.file_name().unwrap().to_string_lossy();
        for e in parse.errors() {
            report.push_str(&format!("{name}: syntax error: {e}\n"));
        }
        let mut linter = Linter::with_rules(&[], &excluded);
        for v in linter.lint(&parse, &text) {
            let at = usize::from(v.text_range.start());
            let line = text[..at].lines().count().max(1);
            report.push_str(&format!("{name}:{line}: {}: {}\n", v.code, v.message));
        }
    }
    assert!(
        report.is_empty(),
        "squawk findings in generated SQL:\n{report}"
    );
    assert!(files.len() > 40, "too few files checked ({})", files.len());
    let _ = std::fs::remove_dir_all(&dir);
}
