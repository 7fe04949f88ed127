//! The live-database commands (deploy, status, diff, import, verify, supabase-export)
//! against real servers: the shared throwaway
//! server (unix socket) and, for TLS and passwords, a second one on TCP with a
//! self-signed certificate.

mod support;

#[path = "live/bench.rs"]
mod bench;
#[path = "live/connect.rs"]
mod connect;
#[path = "live/coverage.rs"]
mod coverage;
#[path = "live/deploy.rs"]
mod deploy;
#[path = "live/drift.rs"]
mod drift;
#[path = "live/import.rs"]
mod import;
#[path = "live/supabase.rs"]
mod supabase;
#[path = "live/verify.rs"]
mod verify;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::cli::{copy_dir, schemac_with, tempdir};
use support::pg::{Server, TestDb};
use support::tcp::TcpServer;

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

/// Runs the example history's cleanups in `db`, then requires it to equal, by `pg_dump`,
/// the database `schema.sql` builds.
fn assert_equals_schema_sql(db: &TestDb, out: &Path, what: &str) {
    for m in ["0002_standardize_phase1", "0003_standardize_phase2"] {
        let cleanup =
            std::fs::read_to_string(out.join("migrations").join(m).join("cleanup.sql")).unwrap();
        db.exec(&cleanup).unwrap();
    }
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    let reference = example_db(&format!("{what}_reference"));
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
            "{what} differs from schema.sql:\n{}",
            diff.unified_diff().header("schema.sql", what)
        );
    }
}

fn example_db(label: &str) -> TestDb {
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    Server::get()
        .database(label)
        .like_platform(c.ir.as_ref().unwrap())
}
