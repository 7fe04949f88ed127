//! `schemac supabase-export`: the released migrations in the Supabase CLI's layout,
//! applied the way `supabase db push` applies them.

use super::deploy::{index_state, project_with_concurrent_index};
use super::*;

/// Applies the files as the Supabase CLI does: in name order, each file and its history
/// row in one transaction, except a file holding a `CONCURRENTLY` statement, which runs
/// on its own outside a transaction.
fn push_like_supabase(db: &TestDb, dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let url = db.url();
    let target = schemac::live::Target::parse(&url, None).unwrap();
    let mut client = schemac::live::connect(&target).unwrap();
    client
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS supabase_migrations;
             CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations
               (version text PRIMARY KEY, name text);",
        )
        .unwrap();
    for name in &names {
        let sql = std::fs::read_to_string(dir.join(name)).unwrap();
        let (version, rest) = name.trim_end_matches(".sql").split_once('_').unwrap();
        let record = format!(
            "INSERT INTO supabase_migrations.schema_migrations VALUES ('{version}', '{rest}');"
        );
        let result = if sql.contains("CONCURRENTLY") {
            client
                .batch_execute(&sql)
                .and_then(|()| client.batch_execute(&record))
        } else {
            // One simple query: PostgreSQL runs its statements in one implicit transaction.
            client.batch_execute(&format!("{sql}\n{record}"))
        };
        if let Err(e) = result {
            panic!(
                "{name} failed: {}\n{sql}",
                e.as_db_error()
                    .map_or(e.to_string(), |d| d.message().to_string())
            );
        }
        // `SET LOCAL` became set_config(..., true): nothing leaks into the session.
        let rows = client.simple_query("SHOW lock_timeout").unwrap();
        if let Some(postgres::SimpleQueryMessage::Row(r)) = rows.first() {
            assert_eq!(r.get(0), Some("0"), "{name} left lock_timeout set");
        }
    }
    names
}

fn export(out: &Path, to: &Path, extra: &[&str], epoch: &str) -> Output {
    let mut args = vec![
        "supabase-export",
        "--out",
        out.to_str().unwrap(),
        "--to",
        to.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, out, &[("SOURCE_DATE_EPOCH", epoch)])
}

#[test]
fn the_example_history_in_supabase_layout_builds_what_schema_sql_builds() {
    let out = example_history();
    let to = out.join("supabase/migrations");
    // A migration the team wrote with the Supabase CLI before: kept, and new files come
    // after it.
    std::fs::create_dir_all(&to).unwrap();
    std::fs::write(
        to.join("20270101000000_extensions.sql"),
        "CREATE EXTENSION IF NOT EXISTS pgcrypto;\n",
    )
    .unwrap();
    let o = export(&out, &to, &["--check"], "1796601600");
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("missing"), "{}", text(&o));
    assert!(!to.join("20270101000001_0001_initial_platform.sql").exists());

    let o = export(&out, &to, &[], "1796601600");
    assert!(o.status.success(), "{}", text(&o));
    let names = push_like_supabase(&Server::get().database("supabase_probe"), &to);
    let ours: Vec<&String> = names.iter().filter(|n| n.contains("_000")).collect();
    assert_eq!(
        ours[0], "20270101000001_0001_initial_platform.sql",
        "{names:?}"
    );
    assert!(ours.len() >= 3, "{names:?}");
    for n in &ours {
        assert!(n.as_str() > "20270101000000_extensions.sql", "{n}");
    }

    // Again, a year later: nothing new, the versions kept; --check passes.
    let o = export(&out, &to, &[], "1830000000");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("0 file(s) written"), "{}", text(&o));
    let o = export(&out, &to, &["--check"], "1830000000");
    assert!(o.status.success(), "{}", text(&o));

    // Applied as the Supabase CLI applies them: the database schema.sql builds.
    let db = example_db("supabase_layout");
    push_like_supabase(&db, &to);
    assert_equals_schema_sql(&db, &out, "supabase");

    // A released file edited by hand is refused, and nothing is written.
    let first = to.join("20270101000001_0001_initial_platform.sql");
    let edited = std::fs::read_to_string(&first).unwrap() + "\nDROP TABLE x;\n";
    std::fs::write(&first, edited).unwrap();
    let o = export(&out, &to, &[], "1830000000");
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("differs from released migration 0001_initial_platform"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_concurrent_index_gets_a_file_of_its_own_that_runs_outside_a_transaction() {
    let dir = project_with_concurrent_index("5s");
    let out = dir.join("out");
    let to = dir.join("supabase/migrations");
    let o = export(&out, &to, &[], "1796601600");
    assert!(o.status.success(), "{}", text(&o));
    let db = Server::get().database("supabase_cic");
    let names = push_like_supabase(&db, &to);
    let cic: Vec<&String> = names
        .iter()
        .filter(|n| {
            std::fs::read_to_string(to.join(n))
                .unwrap()
                .contains("CREATE INDEX CONCURRENTLY")
        })
        .collect();
    assert_eq!(cic.len(), 1, "{names:?}");
    let sql = std::fs::read_to_string(to.join(cic[0])).unwrap();
    let statements = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--") && l.contains(';'))
        .count();
    assert_eq!(
        statements, 1,
        "the CONCURRENTLY file holds one statement:\n{sql}"
    );
    assert_eq!(index_state(&db), "true");
}
