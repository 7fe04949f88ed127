//! Schemas larger than one transaction of a stock server can lock: `schema.sql` stops
//! at its first statement with what to do (instead of "out of shared memory" halfway),
//! and the per-domain files, one transaction each, apply on the same server.

mod support;

use support::{compile_ok, pg::Server};

#[test]
fn a_schema_past_the_lock_table_says_so_and_its_domain_files_apply() {
    let server = Server::get();
    let db = server.database("large");
    // What this server's lock table holds, as the guard computes it.
    let capacity: f64 = db
        .query_one(
            "select 2 * 0.9 * current_setting('max_locks_per_transaction')::bigint \
             * (current_setting('max_connections')::bigint \
             + current_setting('max_prepared_transactions')::bigint)",
        )
        .parse()
        .unwrap();
    // About 7.6 locked relations per synthetic table: enough tables to pass it.
    let tables = ((capacity / 7.0) as usize).div_ceil(100) * 100 + 300;
    let dir = std::env::temp_dir().join(format!("schemac-large-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    schemac::synth::write_project(&dir, tables, 7, false).unwrap();
    let c = compile_ok(&dir);
    let files = &c.output.as_ref().unwrap().files;

    let schema = &files["schema.sql"];
    let estimate = schemac::emit::estimated_locks(schema);
    assert!(
        estimate as f64 > capacity,
        "{tables} tables: estimate {estimate}"
    );
    let err = db
        .exec(schema)
        .expect_err("schema.sql should stop at the guard");
    assert!(
        err.contains("more than this server's lock table holds")
            && err.contains("set max_locks_per_transaction to at least"),
        "{err}"
    );
    assert_eq!(
        db.query_one("select count(*) from pg_tables where schemaname = 'public'"),
        "0"
    );

    for (name, sql) in files
        .iter()
        .filter(|(n, _)| n.starts_with("domains/") && !n.ends_with(".rollback.sql"))
    {
        assert!(!sql.contains("$schemac$"), "{name} has a lock guard");
        db.exec(sql)
            .unwrap_or_else(|e| panic!("{name} fails on its own transaction: {e}"));
    }
    assert_eq!(
        db.query_one("select count(*) from pg_tables where schemaname = 'public'"),
        tables.to_string()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
