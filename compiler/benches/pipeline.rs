//! `just bench`: time of every phase for synthetic projects of 100, 1,000 and 10,000
//! tables, against the floor (the `toml` crate parsing the same files), peak memory,
//! migration planning between two 10,000-table states, and `schemac check` on
//! `schemas/` as a whole process. Each size runs in its own process so peak memory
//! (VmHWM) is that size's alone. Figures are medians of several runs; the machine is
//! shared, so compare ratios measured in one run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use schemac::diag::{Diagnostics, Sources};
use schemac::plan::migrate::{plan_migration, MigrationRequest};
use schemac::plan::snapshot::Snapshot;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn tmp(label: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("schemac-bench-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// One size, in this process: prints a tab-separated line of figures.
fn one(n: usize, runs: usize) {
    let dir = tmp(&format!("n{n}"));
    schemac::synth::write_project(&dir, n, 42, false).unwrap();
    let files: Vec<PathBuf> = std::iter::once(dir.join("schemac.toml"))
        .chain(
            std::fs::read_dir(dir.join("domains"))
                .unwrap()
                .flatten()
                .map(|e| e.path()),
        )
        .collect();
    let bytes: usize = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len() as usize)
        .sum();
    let (mut floor, mut parse, mut lower, mut lint, mut plan, mut emit, mut total) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let t = Instant::now();
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let v: toml::Table = toml::from_str(&text).unwrap();
            std::hint::black_box(v);
        }
        floor.push(t.elapsed());

        let start = Instant::now();
        let mut sources = Sources::default();
        let mut d = Diagnostics::default();
        let src = schemac::source::load(&dir, &mut sources, &mut d);
        parse.push(start.elapsed());
        let t = Instant::now();
        let ir = schemac::ir::lower(&src, &sources, &mut d);
        lower.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(schemac::lint::run(&ir, &sources, None, &mut d));
        lint.push(t.elapsed());
        let t = Instant::now();
        let p = schemac::plan::order_by_dependencies(&ir, &mut d).unwrap();
        plan.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(schemac::emit::emit_project(&ir, &p, &sources));
        emit.push(t.elapsed());
        total.push(start.elapsed());
        assert!(!d.has_errors(), "the synthetic project must compile");
    }
    let build_peak = peak_rss_mb();
    // Migration between two states of this size (a tenth of the tables renamed).
    let dir2 = tmp(&format!("n{n}b"));
    schemac::synth::write_project(&dir2, n, 42, true).unwrap();
    let a = schemac::compile(&dir).ir.unwrap();
    let b = schemac::compile(&dir2).ir.unwrap();
    let (sa, sb) = (Snapshot::from_ir(&a), Snapshot::from_ir(&b));
    let mut migrate = vec![];
    for _ in 0..runs.min(3) {
        let t = Instant::now();
        let mut d = Diagnostics::default();
        let m = plan_migration(
            &MigrationRequest {
                name: "0002_bench",
                old: &sa,
                new: &sb,
                table_renames: &b.table_renames,
                column_renames: &b.column_renames,
                accepted: &b.accepted_losses,
                lock_timeout: "5s",
                statement_timeout: "60s",
                platform: b.project.platform,
            },
            &mut d,
        );
        migrate.push(t.elapsed());
        assert!(m.is_some(), "{:?}", d.into_vec());
    }
    let (f, tot) = (median(floor), median(total));
    println!(
        "{n}\t{}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{:.1}\t{:.2}\t{:.1}\t{:.1}",
        bytes,
        ms(f),
        ms(median(parse)),
        ms(median(lower)),
        ms(median(lint)),
        ms(median(plan)),
        ms(median(emit)),
        ms(tot),
        ms(median(migrate)),
        tot.as_secs_f64() / f.as_secs_f64(),
        build_peak,
        peak_rss_mb()
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

fn check_process(root: &Path) -> Option<Duration> {
    // `just bench` builds this binary with the dist profile, the one releases use.
    let bin = root.join("target/dist/schemac");
    if !bin.exists() {
        return None;
    }
    let mut v = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let out = Command::new(&bin)
            .arg("check")
            .current_dir(root)
            .output()
            .ok()?;
        v.push(t.elapsed());
        if !out.status.success() {
            return None;
        }
    }
    Some(median(v))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let n: usize = args[i + 1].parse().unwrap();
        one(n, if n >= 10_000 { 3 } else { 7 });
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if args.iter().any(|a| a == "--adverse") {
        adverse();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    println!("tables\tbytes\tfloor_ms\tparse_ms\tresolve_ms\tlint_ms\tplan_ms\temit_ms\ttotal_ms\tmigrate_ms\ttotal/floor\tbuild_peak_mb\tpeak_with_migrate_mb");
    let mut totals = Vec::new();
    for n in [100, 1_000, 10_000] {
        let out = Command::new(&exe)
            .args(["--one", &n.to_string()])
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{line}");
        totals.push(
            line.split('\t')
                .nth(8)
                .and_then(|x| x.parse::<f64>().ok())
                .unwrap_or(0.0),
        );
    }
    println!(
        "scaling 1,000 -> 10,000 tables: total x{:.1}",
        totals[2] / totals[1]
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    match check_process(&root) {
        Some(d) => println!(
            "`schemac check` on schemas/ (dist binary, whole process, median of 10): {:.1} ms",
            ms(d)
        ),
        None => println!(
            "`schemac check` on schemas/: build the dist binary first (`cargo build --profile dist`)"
        ),
    }
    let out = Command::new(&exe).arg("--adverse").output().unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compiles a project and renders every diagnostic, as `schemac build` does.
fn compile_and_report(dir: &Path) -> (Duration, usize) {
    let t = Instant::now();
    let c = schemac::compile(dir);
    let renderer = schemac::diag::Renderer::plain(100);
    let sorted = c.diagnostics.sorted(&c.sources);
    let bytes: usize = sorted
        .iter()
        .map(|d| renderer.render(d, &c.sources).len())
        .sum();
    let elapsed = t.elapsed();
    std::hint::black_box(bytes);
    std::mem::forget(c);
    (elapsed, sorted.len())
}

/// Inputs that once cost quadratic time, against a clean build of the same project:
/// 10,000 errors in one file (unknown tables, each with a "did you mean") and a chain of
/// 10,000 table renames.
fn adverse() {
    let clean = tmp("adverse-clean");
    schemac::synth::write_project(&clean, 10_000, 42, false).unwrap();
    let with = |label: &str, extra: &dyn Fn(usize) -> String| {
        let dir = tmp(label);
        schemac::synth::write_project(&dir, 10_000, 42, false).unwrap();
        let file = dir.join("domains/d0.toml");
        let mut text = std::fs::read_to_string(&file).unwrap();
        for i in 0..10_000 {
            text.push_str(&extra(i));
        }
        std::fs::write(&file, text).unwrap();
        dir
    };
    let errors = with("adverse-errors", &|i| {
        format!("\n[tables.d0_bad_{i:05}s.columns]\nid = {{ type = \"bigint\", primary_key = true }}\nref = {{ type = \"bigint\", references = \"d9_itemz_{i:05}s.id\" }}\n")
    });
    let renames = with("adverse-renames", &|i| {
        let to = if i < 9_999 {
            format!("d0_old_{:05}s", i + 1)
        } else {
            "d0_items_00000s".to_string()
        };
        format!("\n[renames.tables.d0_old_{i:05}s]\nto = \"{to}\"\nreason = \"chain\"\n")
    });
    let runs = 3;
    let time = |dir: &Path| {
        let mut v = Vec::new();
        let mut n = 0;
        for _ in 0..runs {
            let (d, count) = compile_and_report(dir);
            v.push(d);
            n = count;
        }
        (median(v), n)
    };
    let (base, _) = time(&clean);
    println!(
        "\nadverse inputs (median of {runs}; ratio to the clean 10,000-table build, target <= 2.0)"
    );
    println!("input\tdiagnostics\tms\tratio");
    println!("clean 10,000 tables\t0\t{:.0}\t1.00", ms(base));
    for (label, dir) in [
        ("10,000 errors in one file", &errors),
        ("10,000 chained renames", &renames),
    ] {
        let (d, n) = time(dir);
        println!(
            "{label}\t{n}\t{:.0}\t{:.2}",
            ms(d),
            d.as_secs_f64() / base.as_secs_f64()
        );
    }
    for d in [clean, errors, renames] {
        let _ = std::fs::remove_dir_all(d);
    }
}
