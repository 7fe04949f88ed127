//! Figures for the live commands on the 10,000-table synthetic project (a benchmark that
//! reports times, not a timed test): `just bench-live`.

use std::time::Instant;

use super::*;

#[test]
#[ignore = "a benchmark: run with `just bench-live`"]
fn bench_import_and_drift_on_10000_tables() {
    let n: usize = std::env::var("SCHEMAC_BENCH_TABLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempdir("bench-live").join("synthetic");
    schemac::synth::write_project(&dir, n, 42, false).unwrap();
    let c = support::compile_ok(&dir);
    let ir = c.ir.as_ref().unwrap();
    let db = Server::get().database("bench_live");
    // Past a few thousand tables schema.sql locks more relations than a stock server's
    // lock table holds (its guard says so): the domain files apply in order instead.
    let t = Instant::now();
    for (name, sql) in &c.output.as_ref().unwrap().files {
        if name.starts_with("domains/") && !name.ends_with(".rollback.sql") {
            db.exec(sql).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    let apply = t.elapsed();

    let url = db.url();
    let target = schemac::live::Target::parse(&url, None).unwrap();
    let mut client = schemac::live::connect(&target).unwrap();

    let t = Instant::now();
    let mut query = |sql: &str| schemac::live::rows(&mut client, sql);
    let drift = schemac::live::drift::compare(ir, &mut query).unwrap();
    let drift_time = t.elapsed();
    assert!(drift.is_empty(), "{:?}", &drift[..drift.len().min(5)]);

    // The same meaning written so the syntax-tree look cannot tell (a cast of a uuid to
    // uuid, which PostgreSQL drops): every owner policy's two expressions go through
    // PostgreSQL's printing.
    let mut recast = ir.clone();
    for t in &mut recast.tables {
        for p in t.policies.iter_mut().filter(|p| p.name.ends_with("_owner")) {
            for e in [&mut p.using, &mut p.with_check].into_iter().flatten() {
                e.0 = "owner_id = (select auth.uid()::uuid)".to_string();
            }
        }
    }
    let t = Instant::now();
    let mut query = |sql: &str| schemac::live::rows(&mut client, sql);
    let drift = schemac::live::drift::compare(&recast, &mut query).unwrap();
    let normalized_time = t.elapsed();
    assert!(drift.is_empty(), "{:?}", &drift[..drift.len().min(5)]);

    let project = tempdir("bench-live-import").join("project");
    let t = Instant::now();
    let mut slowest: Vec<(f64, String)> = Vec::new();
    let mut query = |sql: &str| {
        let q = Instant::now();
        let r = schemac::live::rows(&mut client, sql);
        slowest.push((q.elapsed().as_secs_f64(), sql.chars().take(90).collect()));
        r
    };
    let report =
        schemac::live::import::import(&mut query, &["public".to_string()], &project, false)
            .unwrap();
    let import_time = t.elapsed();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let catalog: f64 = slowest.iter().map(|s| s.0).sum();
    println!(
        "import: {catalog:.2} s in {} catalog queries; the slowest:",
        slowest.len()
    );
    for (secs, sql) in slowest.iter().take(4) {
        println!("  {secs:.2} s  {sql}");
    }
    assert_eq!(report.tables, n);

    println!(
        "live benchmark, {n} tables: apply (domain files) {:.1} s | drift (diff) {:.2} s | drift with {} policy expressions printed by PostgreSQL {:.2} s | import (read, write, compile twice) {:.2} s",
        apply.as_secs_f64(),
        drift_time.as_secs_f64(),
        2 * n,
        normalized_time.as_secs_f64(),
        import_time.as_secs_f64()
    );
}
