//! `schemac deploy` and `schemac status`.

use super::*;

#[test]
fn deploy_from_empty_equals_schema_sql_records_history_and_is_idempotent() {
    let out = example_history();
    let db = example_db("deploy_example");
    let o = deploy(&db, &out);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    for name in [
        "0001_initial_platform",
        "0002_standardize_phase1",
        "0003_standardize_phase2",
    ] {
        assert!(t.contains(&format!("applied {name}")), "{t}");
    }
    let rows =
        db.query("select name, complete, schemac_version from schemac.migrations order by name");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r.contains("|t|")), "{rows:?}");
    let sums = db.query("select checksum from schemac.migrations order by name");
    let up = std::fs::read(out.join("migrations/0001_initial_platform/up.sql")).unwrap();
    use sha2::Digest;
    let expected: String = sha2::Sha256::digest(&up)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sums[0], expected);

    // The same database as schema.sql builds, once the compatibility views are cleaned
    // up (a step of its own, when no code uses the old names).
    assert_equals_schema_sql(&db, &out, "deploy");

    // Again: nothing to do. Status lists all three as applied.
    let o = deploy(&db, &out);
    assert!(
        o.status.success() && text(&o).contains("up to date"),
        "{}",
        text(&o)
    );
    let o = run(
        &[
            "status",
            "--database-url",
            &db.url(),
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
        &[],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("3 applied, 0 pending"), "{t}");
    assert!(t.contains("applied    0002_standardize_phase1"), "{t}");
}

#[test]
fn status_and_dry_run_show_pending_migrations_and_change_nothing() {
    let out = example_history();
    let db = example_db("deploy_dry");
    let o = run(
        &[
            "status",
            "--database-url",
            &db.url(),
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
        &[],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("pending    0001_initial_platform") && t.contains("0 applied, 3 pending"),
        "{t}"
    );
    let o = run(
        &[
            "deploy",
            "--dry-run",
            "--database-url",
            &db.url(),
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
        &[],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("-- would apply 0003_standardize_phase2"), "{t}");
    assert!(t.contains("CREATE TABLE"), "{t}");
    assert_eq!(
        db.query_one("select count(*) from pg_namespace where nspname = 'schemac'"),
        "0",
        "a dry run creates nothing"
    );
    assert_eq!(
        db.query_one("select count(*) from pg_tables where schemaname = 'public'"),
        "0"
    );
}

#[test]
fn a_history_that_does_not_match_the_database_is_refused() {
    let out = example_history();
    let db = example_db("deploy_refuse");
    assert!(deploy(&db, &out).status.success());

    // A migration the project does not have.
    db.exec("INSERT INTO schemac.migrations (name, checksum, schemac_version, complete) VALUES ('0004_from_elsewhere', 'x', '0', true);")
        .unwrap();
    let o = deploy(&db, &out);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("the database has migration `0004_from_elsewhere`"),
        "{}",
        text(&o)
    );
    db.exec("DELETE FROM schemac.migrations WHERE name = '0004_from_elsewhere';")
        .unwrap();

    // A released migration edited after it was applied (its sum updated, so only the
    // database can tell).
    db.exec(
        "UPDATE schemac.migrations SET checksum = 'edited' WHERE name = '0002_standardize_phase1';",
    )
    .unwrap();
    let o = deploy(&db, &out);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("migration `0002_standardize_phase1` changed after it was applied"),
        "{t}"
    );
    assert_eq!(t.lines().count(), 1, "one clear error: {t}");
}

#[test]
fn two_deploys_at_once_one_waits_and_the_history_stays_consistent() {
    let out = example_history();
    let db = example_db("deploy_twice");
    let url = db.url();
    let (o1, o2) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            run(
                &[
                    "deploy",
                    "--database-url",
                    &url,
                    "--out",
                    out.to_str().unwrap(),
                ],
                &out,
                &[],
            )
        });
        let b = s.spawn(|| {
            run(
                &[
                    "deploy",
                    "--database-url",
                    &url,
                    "--out",
                    out.to_str().unwrap(),
                ],
                &out,
                &[],
            )
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(o1.status.success(), "{}", text(&o1));
    assert!(o2.status.success(), "{}", text(&o2));
    let applied = text(&o1).matches("schemac: applied").count()
        + text(&o2).matches("schemac: applied").count();
    assert_eq!(
        applied,
        3,
        "each migration applied exactly once:\n{}\n{}",
        text(&o1),
        text(&o2)
    );
    assert_eq!(
        db.query("select name from schemac.migrations where complete order by name")
            .len(),
        3
    );
}

/// A project whose second migration builds an index on an existing table
/// (`CREATE INDEX CONCURRENTLY`, outside the transaction).
pub(crate) fn project_with_concurrent_index(lock_timeout: &str) -> PathBuf {
    let dir = tempdir("deploy-cic");
    std::fs::create_dir_all(dir.join("schemas/domains")).unwrap();
    std::fs::write(
        dir.join("schemas/schemac.toml"),
        format!("[project]\nname = \"cic\"\npostgres = 15\n\n[migrations]\nlock_timeout = \"{lock_timeout}\"\n"),
    )
    .unwrap();
    let table = "[domain]\nname = \"app\"\n\n[tables.app_notes]\nrls = false\nrls_reason = \"test table\"\n[tables.app_notes.columns]\nid = { type = \"bigint\", identity = \"always\", primary_key = true }\nowner_id = { type = \"uuid\" }\n";
    let domain = dir.join("schemas/domains/app.toml");
    std::fs::write(&domain, table).unwrap();
    let p = dir.join("schemas");
    let o = run(
        &[
            "migrate",
            "one",
            "--project",
            p.to_str().unwrap(),
            "--out",
            "out",
        ],
        &dir,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(
        &domain,
        format!("{table}\n[[tables.app_notes.indexes]]\ncolumns = [\"owner_id\"]\n"),
    )
    .unwrap();
    let o = run(
        &[
            "migrate",
            "two",
            "--project",
            p.to_str().unwrap(),
            "--out",
            "out",
        ],
        &dir,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let up = std::fs::read_to_string(dir.join("out/migrations/0002_two/up.sql")).unwrap();
    assert!(up.contains("CREATE INDEX CONCURRENTLY"), "{up}");
    dir
}

/// Deploys only the first migration of the history in `out` (0002 left out).
fn deploy_first_migration(db: &TestDb, out: &Path, label: &str) {
    let first = tempdir(label);
    copy_dir(&out.join("migrations"), &first.join("migrations"));
    std::fs::remove_dir_all(first.join("migrations/0002_two")).unwrap();
    std::fs::write(
        first.join("migrations/schemac.sum"),
        schemac::history::compute_sum(&first.join("migrations")),
    )
    .unwrap();
    let o = deploy(db, &first);
    assert!(o.status.success(), "{}", text(&o));
}

pub(crate) fn index_state(db: &TestDb) -> String {
    db.query_one("select coalesce((select indisvalid::text from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'idx_app_notes_owner_id'), 'missing')")
}

#[test]
fn a_deploy_that_fails_in_the_concurrent_part_resumes_where_it_stopped() {
    let dir = project_with_concurrent_index("1s");
    let out = dir.join("out");
    let db = Server::get().database("deploy_resume");
    let url = db.url();
    let args = [
        "deploy",
        "--database-url",
        url.as_str(),
        "--out",
        out.to_str().unwrap(),
    ];
    // Only the first migration, then a writer that keeps a transaction open on the table.
    deploy_first_migration(&db, &out, "deploy-first");
    let holder = db.hold_lock("LOCK TABLE public.app_notes IN ROW EXCLUSIVE MODE", 4);

    // The index build waits for the writer past lock_timeout: the main part of 0002 is
    // committed, the build failed.
    let o = run(&args, &dir, &[]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("step 1 of 1 of the non-transactional part failed"),
        "{t}"
    );
    let o = run(
        &[
            "status",
            "--database-url",
            &url,
            "--out",
            out.to_str().unwrap(),
        ],
        &dir,
        &[],
    );
    assert!(text(&o).contains("incomplete 0002_two"), "{}", text(&o));
    drop(holder);
    std::thread::sleep(std::time::Duration::from_secs(4));

    let o = run(&args, &dir, &[]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("resuming 0002_two: step 1 of 1"), "{t}");
    assert_eq!(index_state(&db), "true", "the index was built again, valid");
    assert_eq!(
        db.query_one(
            "select complete::text || steps_done from schemac.migrations where name = '0002_two'"
        ),
        "true1"
    );
}

#[test]
fn a_deploy_killed_during_the_concurrent_part_is_completed_by_the_next_one() {
    let dir = project_with_concurrent_index("20s");
    let out = dir.join("out");
    let db = Server::get().database("deploy_killed");
    let url = db.url();
    // 0001 first; then a writer holds the table, and the deploy of 0002 is killed while
    // its index build waits for the writer.
    deploy_first_migration(&db, &out, "deploy-killed-first");
    let holder = db.hold_lock("LOCK TABLE public.app_notes IN ROW EXCLUSIVE MODE", 5);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_schemac"))
        .args([
            "deploy",
            "--database-url",
            &url,
            "--out",
            out.to_str().unwrap(),
        ])
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut waiting = false;
    for _ in 0..100 {
        if db.query_one(
            "select count(*) from pg_stat_activity where query like 'CREATE INDEX CONCURRENTLY%'",
        ) != "0"
        {
            waiting = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(waiting, "the index build started");
    child.kill().unwrap();
    let _ = child.wait();
    drop(holder);

    let o = run(
        &[
            "deploy",
            "--database-url",
            &url,
            "--out",
            out.to_str().unwrap(),
        ],
        &dir,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(index_state(&db), "true");
    assert_eq!(
        db.query("select name || ':' || complete::text from schemac.migrations order by name"),
        ["0001_one:true", "0002_two:true"]
    );
}
