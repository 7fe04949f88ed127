//! The example history of `schemas/`: the design documents' real story. `0001` creates
//! the platform as it was before standardization (old names), `0002` is phase 1 of the
//! naming standard (19 renames, 7 compatibility views), `0003` is phase 2 (16 renames,
//! 16 views).
//! The earlier states are reconstructed from the final TOML by undoing its declared
//! renames, so the history is reproducible: `just example-history` rewrites it and a
//! test checks the committed files equal what it would write.

mod support;

use std::path::{Path, PathBuf};

use schemac::diag::Diagnostics;
use schemac::history::{write_migration, Request, SUM_FILE};
use schemac::ir::QName;
use schemac::plan::snapshot::Snapshot;

/// The naming standard, phase 1: the 19 tables renamed first (old names).
pub const PHASE_1: [&str; 19] = [
    "feature_flags",
    "rate_limits",
    "usage_logs",
    "feature_usage_stats",
    "scheduled_deletions",
    "mfa_pending_setup",
    "mfa_recovery_codes",
    "reset_tokens",
    "onboarding_status",
    "onboarding_steps",
    "onboarding_surveys",
    "reminder_states",
    "workspace",
    "messages",
    "scheduled_messages",
    "calls",
    "transcripts",
    "transcript_segments",
    "ai_jobs",
];

fn write_history(into: &Path) {
    let root = support::repo_root();
    let c = support::compile_ok(&root.join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let last = Snapshot::from_ir(ir);
    let pairs = |phase1: bool| -> Vec<(QName, QName)> {
        ir.table_renames
            .iter()
            .filter(|r| PHASE_1.contains(&r.from.name.as_str()) == phase1)
            .map(|r| (r.from.clone(), r.to.clone()))
            .collect()
    };
    assert_eq!(
        pairs(true).len(),
        19,
        "phase 1 renames declared in schemas/"
    );
    assert_eq!(
        pairs(false).len(),
        16,
        "phase 2 renames declared in schemas/"
    );
    let after_phase1 = last.before_renames(&pairs(false));
    let before = after_phase1.before_renames(&pairs(true));
    let req = Request::of(ir);
    let _ = std::fs::remove_dir_all(into);
    let empty = Snapshot::empty(&ir.project.default_schema);
    for (name, old, new) in [
        ("initial_platform", &empty, &before),
        ("standardize_phase1", &before, &after_phase1),
        ("standardize_phase2", &after_phase1, &last),
    ] {
        let mut d = Diagnostics::default();
        let out = write_migration(into, name, old, new, &req, &mut d).unwrap();
        assert!(
            out.is_some() && !d.has_errors(),
            "{name}: {:?}",
            d.into_vec()
        );
    }
}

/// Rewrites `generated/migrations/` (run by `just example-history`).
#[test]
#[ignore]
fn regenerate_example_history() {
    write_history(&support::repo_root().join("generated/migrations"));
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push((
                    e.path().strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(e.path()).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_example_history_is_reproducible() {
    let tmp = std::env::temp_dir().join(format!("schemac-history-{}", std::process::id()));
    write_history(&tmp);
    let committed = support::repo_root().join("generated/migrations");
    let (a, b) = (files(&tmp), files(&committed));
    let names = |v: &Vec<(PathBuf, Vec<u8>)>| {
        v.iter()
            .map(|(p, _)| p.display().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), names(&b), "run `just example-history`");
    for ((p, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{} differs from what the history generator writes; run `just example-history`",
            p.display()
        );
    }
    assert!(committed.join(SUM_FILE).exists());
    let _ = std::fs::remove_dir_all(&tmp);
}

use support::pg::Server;

fn migration_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(support::repo_root().join("generated/migrations"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Runs a migration file: the transaction, then the non-transactional part statement
/// by statement (psql runs each top-level statement on its own, as required).
fn run(db: &support::pg::TestDb, file: &Path) {
    db.exec(&read(file))
        .unwrap_or_else(|e| panic!("{} fails:\n{e}", file.display()));
}

#[test]
fn history_applies_in_order_and_equals_schema_sql() {
    let server = Server::get();
    let via_history = server.database("hist_all");
    for dir in migration_dirs() {
        run(&via_history, &dir.join("up.sql"));
    }
    for dir in migration_dirs() {
        if dir.join("cleanup.sql").exists() {
            run(&via_history, &dir.join("cleanup.sql"));
        }
    }
    let direct = server.database("hist_direct");
    direct
        .exec(&read(&support::repo_root().join("generated/schema.sql")))
        .unwrap();
    let (a, b) = (via_history.dump(&["public"]), direct.dump(&["public"]));
    if a != b {
        let diff = similar::TextDiff::from_lines(&b, &a)
            .unified_diff()
            .header("schema.sql", "migrations")
            .to_string();
        panic!("applying the migrations gives a different database than schema.sql:\n{diff}");
    }
}

#[test]
fn each_migration_rolls_back_exactly_and_applies_again() {
    let server = Server::get();
    let db = server.database("hist_roundtrip");
    for dir in migration_dirs() {
        let before = db.dump(&["public"]);
        run(&db, &dir.join("up.sql"));
        let after = db.dump(&["public"]);
        run(&db, &dir.join("down.sql"));
        let back = db.dump(&["public"]);
        if back != before {
            let diff = similar::TextDiff::from_lines(&before, &back)
                .unified_diff()
                .header("before up", "after up+down")
                .to_string();
            panic!(
                "{}: down.sql does not restore the previous state:\n{diff}",
                dir.display()
            );
        }
        run(&db, &dir.join("up.sql"));
        assert_eq!(
            db.dump(&["public"]),
            after,
            "{}: up, down, up differs from up",
            dir.display()
        );
    }
}

#[test]
fn compatibility_views_are_security_invoker_and_cleanup_removes_them() {
    let server = Server::get();
    let db = server.database("hist_compat");
    let dirs = migration_dirs();
    for dir in &dirs {
        run(&db, &dir.join("up.sql"));
    }
    // 7 views from phase 1 and 16 from phase 2, all security_invoker.
    let views = db.query("select c.relname, coalesce(array_to_string(c.reloptions, ','), '') from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'v' and obj_description(c.oid) like 'Compatibility view:%' order by 1");
    assert_eq!(views.len(), 23, "{views:?}");
    assert!(
        views.iter().all(|v| v.ends_with("security_invoker=true")),
        "{views:?}"
    );
    for dir in &dirs {
        if dir.join("cleanup.sql").exists() {
            run(&db, &dir.join("cleanup.sql"));
            run(&db, &dir.join("cleanup.sql")); // safe to run twice
        }
    }
    let left = db.query("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'v' and obj_description(c.oid) like 'Compatibility view:%'");
    assert_eq!(left, vec!["0"]);
}

/// Fixture rows inserted under the old names before the renames are all there after
/// every `up` and after every `down`, same counts and contents.
#[test]
fn rows_survive_every_migration_up_and_down() {
    let root = support::repo_root();
    let c = support::compile_ok(&root.join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let mut rows = read(&root.join("compiler/tests/fixtures/data/platform_rows.sql"));
    for r in &ir.table_renames {
        rows = schemac::lint::fix::rename_in_sql(&rows, &r.to.name, &r.from.name);
    }
    let old_name = |new: &str| {
        ir.table_renames
            .iter()
            .find(|r| r.to.name == new)
            .map_or(new.to_string(), |r| r.from.name.clone())
    };
    let tracked = [
        "user_profiles",
        "workspaces",
        "crm_leads",
        "comms_messages",
        "deals",
        "system_logs_settings",
    ];
    let server = Server::get();
    let db = server.database("hist_rows");
    let dirs = migration_dirs();
    run(&db, &dirs[0].join("up.sql"));
    db.exec(&rows)
        .unwrap_or_else(|e| panic!("rows under the old names: {e}"));
    // Contents as text without the table name, so a renamed table compares equal.
    let snapshot = |db: &support::pg::TestDb, names: &dyn Fn(&str) -> String| -> Vec<String> {
        tracked.iter().map(|t| db.query_one(&format!("select count(*) || ':' || md5(string_agg(x::text, ',' order by x::text)) from public.\"{}\" x", names(t)))).collect()
    };
    let at_old = |t: &str| old_name(t);
    let at_phase1 = |t: &str| {
        if PHASE_1.contains(&old_name(t).as_str()) {
            t.to_string()
        } else {
            old_name(t)
        }
    };
    let at_new = |t: &str| t.to_string();
    let s0 = snapshot(&db, &at_old);
    assert!(s0.iter().all(|s| !s.starts_with("0:")), "{s0:?}");
    run(&db, &dirs[1].join("up.sql"));
    assert_eq!(snapshot(&db, &at_phase1), s0, "rows changed by 0002 up");
    run(&db, &dirs[2].join("up.sql"));
    assert_eq!(snapshot(&db, &at_new), s0, "rows changed by 0003 up");
    run(&db, &dirs[2].join("down.sql"));
    assert_eq!(snapshot(&db, &at_phase1), s0, "rows changed by 0003 down");
    run(&db, &dirs[1].join("down.sql"));
    assert_eq!(snapshot(&db, &at_old), s0, "rows changed by 0002 down");
}

/// The example history's migrations are atomic too: a failure injected after a sample
/// of statements (every 25th, and the last) of 0002 and 0003 leaves the database
/// exactly as before.
#[test]
fn example_migrations_roll_back_on_failure_anywhere() {
    let server = Server::get();
    let db = server.database("hist_atomic");
    let dirs = migration_dirs();
    run(&db, &dirs[0].join("up.sql"));
    for dir in &dirs[1..] {
        let up = read(&dir.join("up.sql"));
        let before = db.dump(&["public"]);
        let start = up.find("\nBEGIN;\n").unwrap() + 1;
        let end = start + up[start..].find("\nCOMMIT;\n").unwrap() + 1;
        let body = &up[start + "BEGIN;\n".len()..end];
        // Statement ends: lines ending in ';' outside function bodies and comments.
        let mut ends = Vec::new();
        let mut in_body = false;
        let mut offset = 0;
        for line in body.split_inclusive('\n') {
            offset += line.len();
            in_body ^= line.matches("$schemac$").count() % 2 == 1;
            if !in_body && !line.trim_start().starts_with("--") && line.trim_end().ends_with(';') {
                ends.push(offset);
            }
        }
        assert!(
            ends.len() > 100,
            "{}: {} statements",
            dir.display(),
            ends.len()
        );
        let mut sample: Vec<usize> = ends.iter().copied().step_by(25).collect();
        sample.push(*ends.last().unwrap());
        for cut in sample {
            let sql = format!(
                "BEGIN;\n{}SELECT 1/0; -- injected failure\n{}COMMIT;\n",
                &body[..cut],
                &body[cut..]
            );
            let err = db
                .exec(&sql)
                .expect_err("the injected failure must fail the migration");
            assert!(err.contains("division by zero"), "{err}");
            assert_eq!(
                db.dump(&["public"]),
                before,
                "{}: failure at byte {cut} left changes behind",
                dir.display()
            );
        }
        run(&db, &dir.join("up.sql"));
    }
}

/// Through every compatibility view of the example history, a caller sees exactly
/// the rows the renamed table shows them (RLS applies through the view), with rows
/// owned by two users.
#[test]
fn every_compatibility_view_shows_what_its_table_shows() {
    let root = support::repo_root();
    let c = support::compile_ok(&root.join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let server = Server::get();
    let db = server.database("hist_views");
    let dirs = migration_dirs();
    for d in &dirs {
        run(&db, &d.join("up.sql"));
    }
    db.exec(&read(
        &root.join("compiler/tests/fixtures/data/platform_rows.sql"),
    ))
    .unwrap();
    let views: Vec<_> = ir.table_renames.iter().filter(|r| r.compat_view).collect();
    assert_eq!(views.len(), 23);
    let mut seen_rows = 0;
    for sub in [
        "aaaaaaaa-0000-4000-8000-000000000001",
        "bbbbbbbb-0000-4000-8000-000000000002",
    ] {
        for r in &views {
            let q = |name: &str| {
                format!(
                "\\pset tuples_only on\n\\pset format unaligned\nBEGIN;\nSET LOCAL ROLE authenticated;\nSELECT set_config('request.jwt.claims', '{{\"sub\":\"{sub}\",\"role\":\"authenticated\"}}', true);\nSELECT '=' || count(*) FROM public.\"{name}\";\nROLLBACK;"
            )
            };
            let through_view = db.exec(&q(&r.from.name));
            let through_table = db.exec(&q(&r.to.name));
            match (through_view, through_table) {
                (Ok(v), Ok(t)) => {
                    let (v, t) = (
                        v.lines()
                            .find(|l| l.starts_with('='))
                            .unwrap_or("")
                            .to_string(),
                        t.lines()
                            .find(|l| l.starts_with('='))
                            .unwrap_or("")
                            .to_string(),
                    );
                    assert_eq!(
                        v, t,
                        "{} -> {}: the view shows other rows than the table",
                        r.from.name, r.to.name
                    );
                    seen_rows += v.trim_start_matches('=').parse::<usize>().unwrap_or(0);
                }
                (Err(v), Err(t)) => assert!(
                    v.contains("permission denied") && t.contains("permission denied"),
                    "{v} / {t}"
                ),
                (v, t) => panic!(
                    "{} -> {}: view and table disagree: {v:?} / {t:?}",
                    r.from.name, r.to.name
                ),
            }
        }
    }
    assert!(
        seen_rows > 0,
        "the fixture rows must be visible through some views"
    );
}

/// Through every compatibility view of the example history, old code's UPDATE,
/// DELETE and INSERT (with the old table and column names) have, row by row, exactly
/// the outcome the renamed table's policies and grants give the caller: RLS applies
/// through the view. Rows from `platform_every_table.sql`, for anon, Ann and Bob.
#[test]
fn every_compatibility_view_writes_as_its_table_policies_say() {
    use support::rls::{check_writes, Target, CALLERS};
    let root = support::repo_root();
    let c = support::compile_ok(&root.join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let server = Server::get();
    let db = server.database("hist_view_writes");
    for d in &migration_dirs() {
        run(&db, &d.join("up.sql"));
    }
    for f in ["platform_rows.sql", "platform_every_table.sql"] {
        db.exec(&read(&root.join("compiler/tests/fixtures/data").join(f)))
            .unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let columns = |rel: &str| {
        db.query(&format!(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'public.\"{rel}\"'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ))
    };
    let views: Vec<_> = ir.table_renames.iter().filter(|r| r.compat_view).collect();
    assert_eq!(views.len(), 23);
    let (mut mismatches, mut written) = (Vec::new(), 0);
    for r in views {
        let table = ir.tables.iter().find(|t| t.name == r.to).unwrap();
        let view_cols = columns(&r.from.name);
        assert_eq!(
            view_cols.len(),
            table.columns.len(),
            "{}: the view's columns",
            r.from.name
        );
        let target = Target {
            table,
            relation: schemac::emit::quote_qname(&r.from),
            columns: view_cols,
        };
        for caller in CALLERS {
            for (cmd, o) in check_writes(&db, &target, caller) {
                if o.expected != o.actual {
                    mismatches.push(format!(
                        "view {} -> {} {cmd} as {} {:?}:\n    policies say {}\n    PostgreSQL did  {}",
                        r.from.name, r.to.name, caller.role, caller.sub, o.expected, o.actual
                    ));
                }
                written += o.actual.matches(":1").count() + o.actual.matches(":ok").count();
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatch(es):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(written > 0, "some writes through the views must succeed");
}
