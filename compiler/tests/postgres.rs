//! The generated SQL, proven on a real PostgreSQL started by the tests themselves
//! (see `support/pg.rs`): it applies, the catalogs then equal the IR, the per-domain
//! files apply in order and their rollbacks remove everything again.

mod support;

use support::{all_projects, catalog, compile_ok, pg::Server};

fn name_of(dir: &std::path::Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn schema_sql_applies_and_catalog_matches_ir() {
    let server = Server::get();
    let mut failures = Vec::new();
    for dir in all_projects() {
        let c = compile_ok(&dir);
        let (ir, out) = (c.ir.as_ref().unwrap(), c.output.as_ref().unwrap());
        let db = server.database(&name_of(&dir));
        if let Err(e) = db.exec(&out.files["schema.sql"]) {
            failures.push(format!(
                "{}: schema.sql fails on PostgreSQL:\n{e}",
                dir.display()
            ));
            continue;
        }
        let diffs = catalog::compare(ir, &db);
        if !diffs.is_empty() {
            failures.push(format!(
                "{}: the database differs from the IR:\n  {}",
                dir.display(),
                diffs.join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn domain_files_apply_in_order_and_roll_back_completely() {
    let server = Server::get();
    let mut failures = Vec::new();
    for dir in all_projects() {
        let c = compile_ok(&dir);
        let (ir, out) = (c.ir.as_ref().unwrap(), c.output.as_ref().unwrap());
        let db = server.database(&format!("dom_{}", name_of(&dir)));
        let forward: Vec<&String> = out
            .files
            .keys()
            .filter(|k| k.starts_with("domains/") && !k.ends_with(".rollback.sql"))
            .collect();
        let mut ok = true;
        for f in &forward {
            if let Err(e) = db.exec(&out.files[*f]) {
                failures.push(format!(
                    "{}: {f} fails after the files before it:\n{e}",
                    dir.display()
                ));
                ok = false;
                break;
            }
        }
        if !ok {
            continue;
        }
        let diffs = catalog::compare(ir, &db);
        if !diffs.is_empty() {
            failures.push(format!(
                "{}: the domain files give a database that differs from the IR:\n  {}",
                dir.display(),
                diffs.join("\n  ")
            ));
            continue;
        }
        for f in forward.iter().rev() {
            let rb = f.replace(".sql", ".rollback.sql");
            if let Err(e) = db.exec(&out.files[&rb]) {
                failures.push(format!("{}: {rb} fails:\n{e}", dir.display()));
                ok = false;
                break;
            }
        }
        if ok {
            let left = catalog::leftovers(ir, &db);
            if !left.is_empty() {
                failures.push(format!(
                    "{}: objects left after all rollbacks: {left:?}",
                    dir.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The harness itself: a statement that fails is reported as a failure, and the
/// catalog comparison notices a difference (so the tests above can fail).
#[test]
fn harness_detects_failures_and_differences() {
    let server = Server::get();
    let db = server.database("harness");
    assert!(db.exec("CREATE TABLE broken (").is_err());
    let dir = support::repo_root().join("schemas");
    let c = compile_ok(&dir);
    let (ir, out) = (c.ir.as_ref().unwrap(), c.output.as_ref().unwrap());
    db.exec(&out.files["schema.sql"])
        .expect("schema.sql applies");
    assert!(catalog::compare(ir, &db).is_empty());
    let t = ir
        .tables
        .iter()
        .find(|t| t.rls && !t.policies.is_empty())
        .expect("a table with RLS and policies");
    let p = &t.policies[0];
    db.exec(&format!(
        "ALTER TABLE {} DISABLE ROW LEVEL SECURITY; DROP POLICY {} ON {};",
        schemac::emit::quote_qname(&t.name),
        schemac::emit::quote_ident(&p.name),
        schemac::emit::quote_qname(&t.name)
    ))
    .unwrap();
    let diffs = catalog::compare(ir, &db);
    assert!(diffs.iter().any(|d| d.contains("RLS")), "{diffs:?}");
    assert!(diffs.iter().any(|d| d.contains(&p.name)), "{diffs:?}");
}

/// The generated pgTAP tests pass on a database built from schema.sql, and fail once
/// the database is broken (a policy dropped, RLS disabled).
#[test]
fn generated_pgtap_tests_pass_and_catch_breakage() {
    let server = Server::get();
    for dir in all_projects() {
        let c = compile_ok(&dir);
        let (ir, out) = (c.ir.as_ref().unwrap(), c.output.as_ref().unwrap());
        let db = server
            .database(&format!("tap_{}", name_of(&dir)))
            .like_platform(ir);
        db.exec(&out.files["schema.sql"]).unwrap();
        db.exec("CREATE EXTENSION IF NOT EXISTS pgtap;").unwrap_or_else(|e| panic!("the pgtap extension is missing ({e}); install postgresql-15-pgtap (`.ci/run` does)"));
        let tmp = std::env::temp_dir().join(format!(
            "schemac-tap-{}-{}",
            std::process::id(),
            name_of(&dir)
        ));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        let mut files = Vec::new();
        for (name, text) in out.files.iter().filter(|(n, _)| n.starts_with("tests/")) {
            let p = tmp.join(name.trim_start_matches("tests/"));
            std::fs::write(&p, text).unwrap();
            files.push(p);
        }
        assert!(!files.is_empty());
        let (ok, output) = db.pg_prove(&files);
        assert!(
            ok,
            "{}: generated pgTAP tests fail on a correct database:\n{output}",
            dir.display()
        );
        if let Some(t) = ir.tables.iter().find(|t| t.rls && !t.policies.is_empty()) {
            db.exec(&format!(
                "DROP POLICY {} ON {}; ALTER TABLE {} DISABLE ROW LEVEL SECURITY;",
                schemac::emit::quote_ident(&t.policies[0].name),
                schemac::emit::quote_qname(&t.name),
                schemac::emit::quote_qname(&t.name)
            ))
            .unwrap();
            let (ok, output) = db.pg_prove(&files);
            assert!(
                !ok,
                "{}: pgTAP tests still pass after dropping a policy and disabling RLS",
                dir.display()
            );
            assert!(
                output.contains("row-level security is enabled on")
                    && output.contains("has exactly its declared policies"),
                "{output}"
            );
        }
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

/// The rows of `pg_proc` the built-in function list is made from, on the test server.
fn builtin_function_list() -> String {
    let db = Server::get().database("builtins");
    let major = db.query_one("select current_setting('server_version_num')::int / 10000");
    assert_eq!(
        major, "15",
        "the built-in function list is PostgreSQL 15's: run the tests on a PostgreSQL 15 server"
    );
    let rows: Vec<(String, usize, usize, bool)> = Server::get()
        .rows(&db.name, schemac::ir::builtins::PG_PROC_QUERY)
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r[0].clone(),
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
                r[3] == "t",
            )
        })
        .collect();
    assert!(rows.len() > 3000, "{} rows", rows.len());
    schemac::ir::builtins::render(&rows)
}

/// The committed list of built-in functions is exactly what PostgreSQL 15's `pg_proc`
/// holds, so the compiler's function checks cannot drift from the server.
#[test]
fn the_builtin_function_list_is_pg_proc() {
    assert_fresh(
        "src/ir/pg15_functions.txt",
        include_str!("../src/ir/pg15_functions.txt"),
        &builtin_function_list(),
        "regenerate_builtin_functions",
    );
}

/// Fails with the difference when a committed list generated from the server is stale.
fn assert_fresh(path: &str, committed: &str, fresh: &str, regenerate: &str) {
    if committed != fresh {
        let diff = similar::TextDiff::from_lines(committed, fresh);
        panic!(
            "{path} is stale (cargo test --test postgres -- --ignored {regenerate}):\n{}",
            diff.unified_diff().header("committed", "server")
        );
    }
}

/// Rewrites `src/ir/pg15_functions.txt` from the test server's `pg_proc`.
#[test]
#[ignore = "rewrites the built-in function list: run it on purpose"]
fn regenerate_builtin_functions() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ir/pg15_functions.txt");
    std::fs::write(path, builtin_function_list()).unwrap();
}

/// The members of the extensions of `schemac::ir::extensions::GENERATED`, each installed
/// in one scratch database of the test server.
fn extension_catalog() -> String {
    let db = Server::get().database("extension_catalog");
    for ext in schemac::ir::extensions::GENERATED {
        db.exec(&format!(
            "CREATE EXTENSION IF NOT EXISTS \"{ext}\" CASCADE;"
        ))
        .unwrap_or_else(|e| {
            panic!("the test server lacks extension {ext} (.ci/test installs it): {e}")
        });
    }
    let rows: Vec<schemac::ir::extensions::MemberRow> = Server::get()
        .rows(&db.name, schemac::ir::extensions::MEMBERS_QUERY)
        .unwrap()
        .into_iter()
        .filter(|r| schemac::ir::extensions::GENERATED.contains(&r[0].as_str()))
        .map(|r| {
            (
                r[0].clone(),
                r[1].clone(),
                r[2].clone(),
                r[3].parse().unwrap(),
                r[4].parse().unwrap(),
                r[5] == "t",
            )
        })
        .collect();
    assert!(rows.len() > 1000, "{} rows", rows.len());
    schemac::ir::extensions::render(&rows)
}

/// The committed extension catalog is what the server's extensions install.
#[test]
fn the_extension_catalog_is_what_the_server_installs() {
    assert_fresh(
        "src/ir/extensions.txt",
        include_str!("../src/ir/extensions.txt"),
        &extension_catalog(),
        "regenerate_extension_catalog",
    );
}

/// Rewrites `src/ir/extensions.txt` from the test server's extensions.
#[test]
#[ignore = "rewrites the extension catalog: run it on purpose"]
fn regenerate_extension_catalog() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ir/extensions.txt");
    std::fs::write(path, extension_catalog()).unwrap();
}
