//! Migration fixtures: a `before` and an `after` project per kind of change. Each
//! valid pair's up, down and cleanup SQL is snapshot-tested and proven on
//! PostgreSQL (rows survive up and down, down restores the exact previous dump, up
//! applies again); each invalid pair is refused with a diagnostic.

mod support;

use std::path::{Path, PathBuf};

use schemac::diag::{Diagnostics, Renderer};
use schemac::plan::migrate::{plan_migration, Migration};
use schemac::plan::snapshot::Snapshot;
use support::pg::Server;

fn cases(kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/migrations")
            .join(kind),
    )
    .unwrap()
    .flatten()
    .map(|e| e.path())
    .collect();
    v.sort();
    v
}

fn plan(
    old: &Snapshot,
    after: &schemac::Compilation,
    name: &str,
    diags: &mut Diagnostics,
) -> Option<Migration> {
    let ir = after.ir.as_ref().unwrap();
    let new = Snapshot::from_ir(ir);
    plan_migration(
        &schemac::history::Request::of(ir).planning(name, old, &new),
        diags,
    )
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// The migration that creates a fixture's `before` state, and the one under test.
fn create_and_change(case: &Path) -> (Migration, Migration) {
    let (before, after) = pair(case);
    let mut d = Diagnostics::default();
    let create = plan(&Snapshot::empty("public"), &before, "0001", &mut d).unwrap();
    let change = plan(
        &Snapshot::from_ir(before.ir.as_ref().unwrap()),
        &after,
        "0002",
        &mut d,
    )
    .unwrap_or_else(|| panic!("{}: {:?}", case.display(), d.into_vec()));
    (create, change)
}

fn pair(case: &Path) -> (schemac::Compilation, schemac::Compilation) {
    (
        support::compile_ok(&case.join("before")),
        support::compile_ok(&case.join("after")),
    )
}

#[test]
fn valid_changes_snapshot() {
    for case in cases("ok") {
        let (before, after) = pair(&case);
        let old = Snapshot::from_ir(before.ir.as_ref().unwrap());
        let mut d = Diagnostics::default();
        let m = plan(&old, &after, "0002_change", &mut d)
            .unwrap_or_else(|| panic!("{}: {:?}", case.display(), d.into_vec()));
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = format!(
            "===== up.sql =====\n{}\n===== down.sql =====\n{}\n===== cleanup.sql =====\n{}",
            m.up,
            m.down,
            m.cleanup.as_deref().unwrap_or("(none)\n")
        );
        settings().bind(|| insta::assert_snapshot!(format!("migration@{name}"), text));
    }
}

#[test]
fn refused_changes_report_diagnostics() {
    for case in cases("err") {
        let (before, after) = pair(&case);
        let old = Snapshot::from_ir(before.ir.as_ref().unwrap());
        let mut d = Diagnostics::default();
        assert!(
            plan(&old, &after, "0002_change", &mut d).is_none(),
            "{} must be refused",
            case.display()
        );
        let r = Renderer::plain(100);
        let text: String = d
            .sorted(&after.sources)
            .iter()
            .map(|x| r.render(x, &after.sources))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!text.is_empty());
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        settings().bind(|| insta::assert_snapshot!(format!("migration_refused@{name}"), text));
    }
}

/// Row counts and contents (md5 of the sorted rows) of every table.
fn table_data(db: &support::pg::TestDb, tables: &[String]) -> Vec<String> {
    tables.iter().map(|t| db.query_one(&format!("select '{t}' || ':' || count(*) || ':' || coalesce(md5(string_agg(x::text, ',' order by x::text)), '') from public.\"{t}\" x"))).collect()
}

#[test]
fn valid_changes_apply_roll_back_and_keep_rows_on_postgres() {
    let server = Server::get();
    for case in cases("ok") {
        let (before, after) = pair(&case);
        let old = Snapshot::from_ir(before.ir.as_ref().unwrap());
        let mut d = Diagnostics::default();
        let create = plan(&Snapshot::empty("public"), &before, "0001_before", &mut d).unwrap();
        let change = plan(&old, &after, "0002_change", &mut d).unwrap();
        let db = server.database(&case.file_name().unwrap().to_string_lossy());
        db.exec(&create.up).unwrap_or_else(|e| {
            panic!("{}: creating the before state fails:\n{e}", case.display())
        });
        if let Ok(rows) = std::fs::read_to_string(case.join("rows.sql")) {
            db.exec(&rows).unwrap();
        }
        let old_tables: Vec<String> = before
            .ir
            .as_ref()
            .unwrap()
            .tables
            .iter()
            .map(|t| t.name.name.clone())
            .collect();
        let data0 = table_data(&db, &old_tables);
        let dump0 = db.dump(&["public", "auth"]);
        db.exec(&change.up)
            .unwrap_or_else(|e| panic!("{}: up.sql fails:\n{e}", case.display()));
        let ir = after.ir.as_ref().unwrap();
        // Every table kept (possibly renamed) has the same number of rows.
        for t in &before.ir.as_ref().unwrap().tables {
            let new_name = ir
                .table_renames
                .iter()
                .find(|r| r.from == t.name)
                .map(|r| r.to.name.clone())
                .unwrap_or(t.name.name.clone());
            if ir.tables.iter().any(|x| x.name.name == new_name) {
                let before_count = data0
                    .iter()
                    .find(|l| l.starts_with(&format!("{}:", t.name.name)))
                    .unwrap()
                    .split(':')
                    .nth(1)
                    .unwrap()
                    .to_string();
                let after_count =
                    db.query_one(&format!("select count(*) from public.\"{new_name}\""));
                assert_eq!(
                    before_count,
                    after_count,
                    "{}: rows of {} lost by up",
                    case.display(),
                    t.name.name
                );
            }
        }
        let dump1 = db.dump(&["public", "auth"]);
        db.exec(&change.down)
            .unwrap_or_else(|e| panic!("{}: down.sql fails:\n{e}", case.display()));
        let back = db.dump(&["public", "auth"]);
        if back != dump0 {
            let diff = similar::TextDiff::from_lines(&dump0, &back)
                .unified_diff()
                .to_string();
            panic!(
                "{}: down does not restore the previous schema:\n{diff}",
                case.display()
            );
        }
        let data_back = table_data(&db, &old_tables);
        // Rollback keeps rows; columns dropped by up come back empty, so only tables
        // whose columns survived compare by content.
        for (a, b) in data0.iter().zip(&data_back) {
            let (ca, cb) = (a.split(':').nth(1), b.split(':').nth(1));
            let table = a.split(':').next().unwrap();
            let dropped = !ir.tables.iter().any(|x| x.name.name == table)
                && !ir.table_renames.iter().any(|r| r.from.name == table);
            if !dropped {
                assert_eq!(
                    ca,
                    cb,
                    "{}: row count of {table} changed by up+down",
                    case.display()
                );
            }
        }
        db.exec(&change.up)
            .unwrap_or_else(|e| panic!("{}: up.sql fails the second time:\n{e}", case.display()));
        assert_eq!(
            db.dump(&["public", "auth"]),
            dump1,
            "{}: up, down, up differs from up",
            case.display()
        );
        if let Some(c) = &change.cleanup {
            db.exec(c).unwrap();
        }
        // The migrated database is the one the new schema describes, object by object
        // (expressions, comments, options and grants included), as a fresh build is.
        let drift = support::catalog::compare(ir, &db);
        assert!(
            drift.is_empty(),
            "{}: the migrated database differs from the new schema:\n{drift:#?}",
            case.display()
        );
    }
}

/// Old code keeps working through a compatibility view, and RLS applies to it.
#[test]
fn compatibility_view_serves_old_code_under_rls() {
    let server = Server::get();
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrations/ok/rename_with_compat_view");
    let (create, change) = create_and_change(&case);
    let db = server.database("compat_view");
    db.exec(&create.up).unwrap();
    db.exec(&std::fs::read_to_string(case.join("rows.sql")).unwrap())
        .unwrap();
    db.exec(&change.up).unwrap();
    let me = "00000000-0000-0000-0000-000000000001";
    let as_user = |sql: &str| {
        format!("BEGIN;\nSET LOCAL ROLE authenticated;\nSELECT set_config('request.jwt.claims', '{{\"sub\":\"{me}\",\"role\":\"authenticated\"}}', true);\n{sql}\nCOMMIT;")
    };
    // SELECT through the old name sees only the caller's rows (RLS of app_notes).
    let out = db
        .exec(&as_user("SELECT 'count=' || count(*) FROM notes;"))
        .unwrap();
    assert!(out.contains("count=1"), "{out}");
    // INSERT through the old name and old column name; defaults apply.
    let out = db
        .exec(&as_user(&format!(
            "INSERT INTO notes (owner_id) VALUES ('{me}') RETURNING 'txt=' || txt;"
        )))
        .unwrap();
    assert!(out.contains("txt=(empty)"), "{out}");
    // An INSERT for someone else is refused by the policy's WITH CHECK.
    let err = db.exec(&as_user("INSERT INTO notes (owner_id, txt) VALUES ('00000000-0000-0000-0000-000000000002', 'x');")).unwrap_err();
    assert!(err.contains("row-level security"), "{err}");
    // UPDATE and DELETE through the view touch only the caller's rows.
    let out = db.exec(&as_user("UPDATE notes SET txt = 'edited'; SELECT 'edited=' || count(*) FROM app_notes WHERE body = 'edited';")).unwrap();
    assert!(out.contains("edited=2"), "{out}");
    let theirs = db.query_one(
        "SELECT body FROM app_notes WHERE owner_id = '00000000-0000-0000-0000-000000000002'",
    );
    assert_eq!(theirs, "theirs");
    db.exec(&as_user("DELETE FROM notes;")).unwrap();
    assert_eq!(db.query_one("SELECT count(*) FROM app_notes"), "1");
    // anon has no grant on the old name either.
    let err = db
        .exec("BEGIN; SET LOCAL ROLE anon; SELECT * FROM notes; COMMIT;")
        .unwrap_err();
    assert!(err.contains("permission denied"), "{err}");
}

/// Splits a generated migration into (transaction statements, rest): the main
/// transaction's statements as text, one per element, dollar-quoted bodies kept whole.
fn main_transaction_statements(up: &str) -> (String, Vec<String>, String) {
    let start = up.rfind("\nBEGIN;\n").expect("main BEGIN") + 1;
    let end = start + up[start..].find("\nCOMMIT;\n").expect("main COMMIT") + 1;
    let (head, body, tail) = (&up[..start], &up[start + "BEGIN;\n".len()..end], &up[end..]);
    let mut stmts = Vec::new();
    let mut cur = String::new();
    let mut in_body = false;
    for line in body.lines() {
        cur.push_str(line);
        cur.push('\n');
        if line.contains("$schemac$") {
            in_body = !in_body || line.matches("$schemac$").count() == 2;
            if line.matches("$schemac$").count() == 2 {
                in_body = false;
            }
        }
        if !in_body && line.trim_end().ends_with(';') && !line.trim_start().starts_with("--") {
            stmts.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        stmts.push(cur);
    }
    (head.to_string(), stmts, tail.to_string())
}

/// A migration whose statement k fails leaves the database exactly as before, for
/// every k: everything runs in one transaction.
#[test]
fn failing_statement_at_any_point_rolls_back_everything() {
    let server = Server::get();
    for name in [
        "rename_with_compat_view",
        "change_objects",
        "remove_objects",
    ] {
        let case = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/migrations/ok")
            .join(name);
        let (before, after) = pair(&case);
        let mut d = Diagnostics::default();
        let create = plan(&Snapshot::empty("public"), &before, "0001", &mut d).unwrap();
        let change = plan(
            &Snapshot::from_ir(before.ir.as_ref().unwrap()),
            &after,
            "0002",
            &mut d,
        )
        .unwrap();
        let db = server.database(&format!("atomic_{name}"));
        db.exec(&create.up).unwrap();
        if let Ok(rows) = std::fs::read_to_string(case.join("rows.sql")) {
            db.exec(&rows).unwrap();
        }
        // Enum values are committed before the main transaction by design; apply that
        // part once so each attempt starts from the same state.
        let head_only = change.up[..change.up.rfind("\nBEGIN;\n").unwrap()].to_string();
        db.exec(&head_only).unwrap();
        let before_dump = db.dump(&["public", "auth"]);
        let (_, stmts, _) = main_transaction_statements(&change.up);
        assert!(stmts.len() > 3, "{name}: too few statements found");
        for k in 0..stmts.len() {
            let mut sql = String::from("BEGIN;\n");
            for (i, s) in stmts.iter().enumerate() {
                sql.push_str(s);
                if i == k {
                    sql.push_str("SELECT 1/0; -- injected failure\n");
                }
            }
            sql.push_str("COMMIT;\n");
            let err = db
                .exec(&sql)
                .expect_err("the injected failure must fail the migration");
            assert!(err.contains("division by zero"), "{name} k={k}: {err}");
            assert_eq!(
                db.dump(&["public", "auth"]),
                before_dump,
                "{name}: failure after statement {k} left changes behind"
            );
        }
    }
}

/// `lock_timeout` is in effect: a migration blocked by a held lock fails fast
/// instead of queueing behind it.
#[test]
fn migration_blocked_by_a_lock_fails_fast() {
    let server = Server::get();
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/migrations/ok/rename_with_compat_view");
    let (create, change) = create_and_change(&case);
    assert!(change.up.contains("SET LOCAL lock_timeout = '5s';"));
    let db = server.database("lock_timeout");
    db.exec(&create.up).unwrap();
    let holder = db.hold_lock("LOCK TABLE public.notes IN ACCESS SHARE MODE", 30);
    let started = std::time::Instant::now();
    let err = db
        .exec(&change.up)
        .expect_err("the migration must not wait for the lock");
    let waited = started.elapsed();
    drop(holder);
    assert!(err.contains("lock timeout"), "{err}");
    assert!(
        waited < std::time::Duration::from_secs(20),
        "waited {waited:?}: lock_timeout not in effect"
    );
}
