//! `schemac deploy` and `schemac status` against real servers: the shared throwaway
//! server (unix socket) and, for TLS and passwords, a second one on TCP with a
//! self-signed certificate.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::cli::{copy_dir, schemac_with, tempdir};
use support::pg::{Server, TcpServer, TestDb};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs schemac with `DATABASE_URL` and `PGPASSWORD` cleared unless given.
fn run(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut all = vec![("DATABASE_URL", ""), ("PGPASSWORD", "")];
    all.extend_from_slice(env);
    schemac_with(args, cwd, &all)
}

/// The example's released history in a directory of its own.
fn example_history() -> PathBuf {
    let out = tempdir("deploy-out");
    copy_dir(
        &support::repo_root().join("generated/migrations"),
        &out.join("migrations"),
    );
    out
}

fn deploy(db: &TestDb, out: &Path) -> Output {
    run(
        &[
            "deploy",
            "--database-url",
            &db.url(),
            "--out",
            out.to_str().unwrap(),
        ],
        out,
        &[],
    )
}

fn example_db(label: &str) -> TestDb {
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    Server::get()
        .database(label)
        .like_platform(c.ir.as_ref().unwrap())
}

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
    for m in ["0002_standardize_phase1", "0003_standardize_phase2"] {
        let cleanup =
            std::fs::read_to_string(out.join("migrations").join(m).join("cleanup.sql")).unwrap();
        db.exec(&cleanup).unwrap();
    }
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    let reference = example_db("deploy_reference");
    reference
        .exec(&c.output.as_ref().unwrap().files["schema.sql"])
        .unwrap();
    let (a, b) = (
        db.dump(&["public", "auth"]),
        reference.dump(&["public", "auth"]),
    );
    if a != b {
        let diff = similar::TextDiff::from_lines(&b, &a);
        panic!(
            "deployed history differs from schema.sql:\n{}",
            diff.unified_diff().header("schema.sql", "deploy")
        );
    }

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
fn project_with_concurrent_index(lock_timeout: &str) -> PathBuf {
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

fn index_state(db: &TestDb) -> String {
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
    let first = tempdir("deploy-first");
    copy_dir(&out.join("migrations"), &first.join("migrations"));
    std::fs::remove_dir_all(first.join("migrations/0002_two")).unwrap();
    std::fs::write(
        first.join("migrations/schemac.sum"),
        schemac::history::compute_sum(&first.join("migrations")),
    )
    .unwrap();
    let o = run(
        &[
            "deploy",
            "--database-url",
            &url,
            "--out",
            first.to_str().unwrap(),
        ],
        &first,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
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
    let first = tempdir("deploy-killed-first");
    copy_dir(&out.join("migrations"), &first.join("migrations"));
    std::fs::remove_dir_all(first.join("migrations/0002_two")).unwrap();
    std::fs::write(
        first.join("migrations/schemac.sum"),
        schemac::history::compute_sum(&first.join("migrations")),
    )
    .unwrap();
    let o = run(
        &[
            "deploy",
            "--database-url",
            &url,
            "--out",
            first.to_str().unwrap(),
        ],
        &first,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
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

#[test]
fn deploy_over_tls_with_a_password_and_clear_errors_for_bad_connections() {
    let server = TcpServer::start("tls", true);
    server.exec("postgres", "CREATE DATABASE app;").unwrap();
    server.exec("app", schemac::SUPABASE_SHIM).unwrap();
    let out = example_history();
    let o_dir = out.to_str().unwrap();
    let pw = server.password.clone();
    let cert = server.cert.to_string_lossy().into_owned();

    // sslmode=verify-full against the self-signed certificate, password from PGPASSWORD.
    let url = server.url("app", &format!("sslmode=verify-full&sslrootcert={cert}"));
    let o = run(
        &["deploy", "--database-url", &url, "--out", o_dir],
        &out,
        &[("PGPASSWORD", &pw)],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains(&pw));
    let ssl = server
        .exec("app", "select count(*) from schemac.migrations")
        .unwrap();
    assert_eq!(ssl.trim(), "3");

    // sslmode=require, password in the URL: status works, the password is not shown.
    let with_pw = format!(
        "postgresql://postgres:{pw}@127.0.0.1:{}/app?sslmode=require",
        server.port
    );
    let o = run(
        &["status", "--database-url", &with_pw, "--out", o_dir],
        &out,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains(&pw));

    // Each bad connection: one clear line, exit 1, no panic, no password.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let not_pg = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            use std::io::Write;
            let mut s = s;
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            "mysql://root:hunter2@127.0.0.1/app".into(),
            "not a PostgreSQL URL",
        ),
        (
            format!(
                "postgresql://postgres:wrong-{pw}@127.0.0.1:{}/app?sslmode=require",
                server.port
            ),
            "password authentication failed",
        ),
        (
            format!("postgresql://postgres:{pw}@127.0.0.1:{closed}/app?connect_timeout=2"),
            "Connection refused",
        ),
        (
            format!("postgresql://postgres:{pw}@10.255.255.1:5432/app?connect_timeout=1"),
            "cannot connect to postgresql://postgres@10.255.255.1:5432/app",
        ),
        (
            format!("postgresql://postgres:{pw}@127.0.0.1:{not_pg}/app?sslmode=disable"),
            "is this a PostgreSQL server?",
        ),
        (
            format!(
                "postgresql://postgres:{pw}@127.0.0.1:{}/app?sslmode=disable",
                server.port
            ),
            "no encryption",
        ),
        (
            format!(
                "postgresql://postgres:{pw}@127.0.0.1:{}/nope?sslmode=require",
                server.port
            ),
            "does not exist",
        ),
    ];
    for (url, needle) in &cases {
        let o = run(
            &["status", "--database-url", url, "--out", o_dir],
            &out,
            &[],
        );
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{url}: {t}");
        assert!(t.contains(needle), "{url}: expected `{needle}` in: {t}");
        assert!(
            !t.contains("panicked") && !t.contains(&pw) && !t.contains("hunter2"),
            "{t}"
        );
        assert_eq!(t.trim().lines().count(), 1, "one line: {t}");
    }

    // A database without the Supabase roles: the first migration fails and leaves nothing.
    server.exec("postgres", "CREATE DATABASE bare;").unwrap();
    let url = server.url("bare", "sslmode=require");
    let o = run(
        &["deploy", "--database-url", &url, "--out", o_dir],
        &out,
        &[("PGPASSWORD", &pw)],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("0001_initial_platform failed") && t.contains("rolled back"),
        "{t}"
    );
    assert_eq!(
        server
            .exec("bare", "select count(*) from schemac.migrations")
            .unwrap()
            .trim(),
        "0"
    );
}

/// Each manual change to a database built from the example, and what `diff` must name.
const DRIFTS: &[(&str, &str, &str)] = &[
    // (change, what the report must contain, undo)
    ("ALTER TABLE public.user_devices ADD COLUMN nickname text;", "column public.user_devices: nickname (extra)", "ALTER TABLE public.user_devices DROP COLUMN nickname;"),
    ("ALTER TABLE public.user_devices DROP COLUMN app_version;", "column public.user_devices: app_version (missing)", "ALTER TABLE public.user_devices DROP COLUMN last_seen_at, DROP COLUMN created_at, DROP COLUMN updated_at; ALTER TABLE public.user_devices ADD COLUMN app_version text, ADD COLUMN last_seen_at timestamptz, ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(), ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();"),
    ("ALTER TABLE public.user_devices ALTER COLUMN device_name TYPE varchar(80);", "column public.user_devices: device_name (changed)", "ALTER TABLE public.user_devices ALTER COLUMN device_name TYPE text;"),
    ("ALTER TABLE public.user_devices ALTER COLUMN platform DROP NOT NULL;", "not_null=false", "ALTER TABLE public.user_devices ALTER COLUMN platform SET NOT NULL;"),
    ("ALTER TABLE public.user_devices ALTER COLUMN created_at SET DEFAULT '2020-01-01';", "column public.user_devices: created_at (changed)", "ALTER TABLE public.user_devices ALTER COLUMN created_at SET DEFAULT now();"),
    ("ALTER TABLE public.user_devices ALTER COLUMN updated_at DROP DEFAULT;", "column public.user_devices: updated_at (changed)", "ALTER TABLE public.user_devices ALTER COLUMN updated_at SET DEFAULT now();"),
    ("DROP POLICY user_devices_owner_all ON public.user_devices;", "policy user_devices_owner_all on public.user_devices (missing)", "CREATE POLICY user_devices_owner_all ON public.user_devices AS PERMISSIVE FOR ALL TO authenticated USING (user_id = (select auth.uid())) WITH CHECK (user_id = (select auth.uid()));"),
    ("CREATE POLICY user_devices_anyone ON public.user_devices FOR SELECT TO anon USING (true);", "policy user_devices_anyone on public.user_devices (extra)", "DROP POLICY user_devices_anyone ON public.user_devices;"),
    ("ALTER POLICY user_devices_owner_all ON public.user_devices TO authenticated, anon;", "policy user_devices_owner_all on public.user_devices (changed)", "ALTER POLICY user_devices_owner_all ON public.user_devices TO authenticated;"),
    ("ALTER TABLE public.user_devices DISABLE ROW LEVEL SECURITY;", "table public.user_devices (changed): database: RLS off", "ALTER TABLE public.user_devices ENABLE ROW LEVEL SECURITY;"),
    ("GRANT SELECT ON public.user_devices TO anon;", "grant on public.user_devices to anon (extra)", "REVOKE ALL ON public.user_devices FROM anon;"),
    ("REVOKE DELETE ON public.user_devices FROM authenticated;", "grant on public.user_devices to authenticated (changed)", "GRANT DELETE ON public.user_devices TO authenticated;"),
    ("CREATE INDEX idx_user_devices_platform ON public.user_devices (platform);", "index idx_user_devices_platform on public.user_devices (extra)", "DROP INDEX public.idx_user_devices_platform;"),
    ("DROP INDEX public.idx_user_devices_user_id;", "index idx_user_devices_user_id on public.user_devices (missing)", "CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id);"),
    ("ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_platform_valid;", "constraint user_devices_platform_valid on public.user_devices (missing)", "ALTER TABLE public.user_devices ADD CONSTRAINT user_devices_platform_valid CHECK (platform in ('ios', 'android', 'web'));"),
    ("ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_user_id_fkey, ADD CONSTRAINT user_devices_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_profiles (id) ON DELETE SET NULL;", "constraint user_devices_user_id_fkey on public.user_devices (changed)", "ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_user_id_fkey, ADD CONSTRAINT user_devices_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_profiles (id) ON DELETE CASCADE;"),
    ("ALTER TABLE public.user_devices DISABLE TRIGGER tr_user_devices_updated_at;", "trigger tr_user_devices_updated_at on public.user_devices (changed)", "ALTER TABLE public.user_devices ENABLE TRIGGER tr_user_devices_updated_at;"),
    ("ALTER VIEW public.analytics_pipeline_summary SET (security_invoker = false);", "view public.analytics_pipeline_summary (changed)", "ALTER VIEW public.analytics_pipeline_summary SET (security_invoker = true);"),
    ("GRANT EXECUTE ON FUNCTION public.system_cleanup_old_logs() TO PUBLIC;", "function public.system_cleanup_old_logs (changed)", "REVOKE EXECUTE ON FUNCTION public.system_cleanup_old_logs() FROM PUBLIC;"),
    ("ALTER FUNCTION public.system_touch_updated_at() RESET search_path;", "function public.system_touch_updated_at (changed)", "ALTER FUNCTION public.system_touch_updated_at() SET search_path = '';"),
    ("CREATE TABLE public.tmp_import (id int);", "table public.tmp_import (extra)", "DROP TABLE public.tmp_import;"),
    // Last: an added enum value cannot be undone.
    ("ALTER TYPE public.assistant_job_status ADD VALUE 'paused';", "enum public.assistant_job_status (changed)", ""),
];

#[test]
fn diff_names_every_manual_change_and_nothing_after_a_deploy() {
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let out = example_history();
    let db = example_db("drift");
    assert!(deploy(&db, &out).status.success());
    for m in ["0002_standardize_phase1", "0003_standardize_phase2"] {
        db.exec(
            &std::fs::read_to_string(out.join("migrations").join(m).join("cleanup.sql")).unwrap(),
        )
        .unwrap();
    }
    let project = support::repo_root().join("schemas");
    let diff = |extra: &[&str]| {
        let mut args = vec![
            "diff",
            "--project",
            project.to_str().unwrap(),
            "--database-url",
            &db.url(),
            "--out",
            out.to_str().unwrap(),
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args, &out, &[])
    };

    // Right after a deploy: no drift, against the schema and against the last migration.
    let o = diff(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("no drift"), "{}", text(&o));
    let o = diff(&["--against", "last-migration"]);
    assert!(o.status.success(), "{}", text(&o));

    // Each change is reported, and only it; undone, the report is empty again.
    let check = |change: &str, expect: &str| {
        let found = support::catalog::compare(ir, &db);
        assert!(
            found.iter().any(|d| d.contains(expect)),
            "after `{change}`, expected `{expect}` in {found:#?}"
        );
        found.len()
    };
    for (change, expect, undo) in DRIFTS {
        db.exec(change).unwrap();
        let n = check(change, expect);
        // A new table also shows the grants Supabase's default privileges gave it.
        assert!(n <= 4, "`{change}` reported as {n} differences");
        if !undo.is_empty() {
            db.exec(undo).unwrap();
            let left = support::catalog::compare(ir, &db);
            assert!(left.is_empty(), "after undoing `{change}`: {left:#?}");
        }
    }
    assert!(DRIFTS.len() >= 15);

    // The command: grouped human output, JSON and GitHub annotations, exit 1.
    let o = diff(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("enum:\n  changed  enum public.assistant_job_status"),
        "{t}"
    );
    assert!(t.contains("1 difference(s)"), "{t}");
    let o = diff(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["kind"], "changed");
    let o = diff(&["--format", "github"]);
    assert!(String::from_utf8_lossy(&o.stdout)
        .starts_with("::error title=schemac drift (changed)::enum public.assistant_job_status"));
}

/// Applies a project's `schema.sql` to a fresh database (with Supabase's defaults when
/// it deploys there).
fn built(dir: &Path, label: &str) -> TestDb {
    let c = support::compile_ok(dir);
    let db = Server::get()
        .database(label)
        .like_platform(c.ir.as_ref().unwrap());
    db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
        .unwrap_or_else(|e| panic!("{}: schema.sql does not apply: {e}", dir.display()));
    db
}

fn import_into(db: &TestDb, project: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "import",
        "--database-url",
        &*Box::leak(db.url().into_boxed_str()),
        "--project",
        project.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, project.parent().unwrap(), &[])
}

/// Whether two dumps are equal, line by line, except for expressions (checks, view
/// queries) whose tokens are the same once parentheses and casts are set aside. PostgreSQL stores
/// `x between 1 and 2` as `(x >= 1) AND (x <= 2)` nested in the expression around it, and
/// `v in ('a', 'b')` on a varchar as `ANY ((ARRAY['a'::varchar, ...])::text[])`; that text
/// parsed again gives an equivalent but differently printed tree. The catalogs hold the
/// parsed form, so no import can restore the original text (pg_dump has the same limit).
/// The second round is exact: see `round_trip`.
fn same_up_to_deparsing(a: &str, b: &str) -> bool {
    fn tokens(l: &str) -> String {
        let mut out = String::new();
        let mut chars = l.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '(' | ')' => {}
                ':' if chars.peek() == Some(&':') => {
                    chars.next();
                    while chars
                        .peek()
                        .is_some_and(|n| n.is_alphanumeric() || "_[] ".contains(*n))
                    {
                        let n = chars.next().unwrap();
                        if n == ' ' && !chars.peek().is_some_and(|x| x.is_alphabetic()) {
                            break;
                        }
                    }
                }
                c => out.push(c),
            }
        }
        out
    }
    a.lines().count() == b.lines().count()
        && a.lines()
            .zip(b.lines())
            .all(|(x, y)| x == y || tokens(x) == tokens(y))
}

/// build -> apply -> import -> build -> apply: the two databases dump the same (up to
/// PostgreSQL's own deparsing, see `same_up_to_deparsing`); importing the rebuilt database
/// again gives exactly the same dump (a fixpoint); and an import is deterministic.
fn round_trip(dir: &Path, label: &str) {
    let a = built(dir, &format!("{label}_a"));
    let imported = tempdir(&format!("import-{label}")).join("project");
    let o = import_into(&a, &imported, &[]);
    assert!(
        o.status.success(),
        "{}: import failed:\n{}",
        dir.display(),
        text(&o)
    );
    let b = built(&imported, &format!("{label}_b"));
    let schemas = ["public", "auth"];
    let (da, db) = (a.dump(&schemas), b.dump(&schemas));
    if !same_up_to_deparsing(&da, &db) {
        let diff = similar::TextDiff::from_lines(&da, &db);
        panic!(
            "{}: the imported project builds a different database:\n{}\nimport said:\n{}",
            dir.display(),
            diff.unified_diff().header("original", "imported"),
            text(&o)
        );
    }
    let again = tempdir(&format!("import-{label}-again")).join("project");
    let o = import_into(&b, &again, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let files = |root: &Path| -> Vec<(String, String)> {
        // The project is named after the database it came from: leave the name out.
        let project: String = std::fs::read_to_string(root.join("schemac.toml"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("name = ") && !l.starts_with("# Imported"))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut v = vec![("schemac.toml".to_string(), project)];
        let mut domains: Vec<_> = std::fs::read_dir(root.join("domains"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        domains.sort();
        for d in domains {
            v.push((
                d.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&d).unwrap(),
            ));
        }
        v
    };
    // The second round is exact: the rebuilt database dumps the same again.
    let c = built(&again, &format!("{label}_c"));
    assert_eq!(
        b.dump(&schemas),
        c.dump(&schemas),
        "{}: importing the imported database is not a fixpoint",
        dir.display()
    );
    // Deterministic: the same database imported twice gives the same files.
    let twice = tempdir(&format!("import-{label}-twice")).join("project");
    assert!(import_into(&a, &twice, &[]).status.success());
    let (first, second) = (files(&imported), files(&twice));
    assert_eq!(
        first.len(),
        second.len(),
        "{}: a second import writes other files",
        dir.display()
    );
    for ((n1, t1), (n2, t2)) in first.iter().zip(&second) {
        assert_eq!(
            n1,
            n2,
            "{}: a second import writes other files",
            dir.display()
        );
        if t1 != t2 {
            let diff = similar::TextDiff::from_lines(t1, t2);
            panic!(
                "{}: a second import differs in {n1}:\n{}",
                dir.display(),
                diff.unified_diff().header("first", "second")
            );
        }
    }
}

#[test]
fn import_round_trips_every_project_to_an_equal_dump() {
    for (i, dir) in support::all_projects().iter().enumerate() {
        round_trip(dir, &format!("imp_{i}"));
    }
}
