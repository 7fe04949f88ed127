//! `schemac deploy` and `schemac status`: the commands that talk to a database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use schemac::live::{self, deploy, Target};

/// Where the database is.
#[derive(clap::Args, Clone)]
pub struct DbArgs {
    /// PostgreSQL URL as libpq takes it (`postgres://user@host:5432/db?sslmode=require`).
    /// Default: the DATABASE_URL environment variable. The password may come from
    /// PGPASSWORD instead of the URL.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Output directory holding `migrations/`.
    #[arg(long, default_value = "generated")]
    pub out: PathBuf,
}

fn target(db: &DbArgs) -> Result<Target, String> {
    let url = db
        .database_url
        .clone()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            "no database: pass --database-url postgres://user@host/db, or set DATABASE_URL"
                .to_string()
        })?;
    Target::parse(url.trim(), std::env::var("PGPASSWORD").ok())
}

fn history(out: &Path) -> Result<Vec<deploy::Local>, String> {
    let dir = out.join("migrations");
    if !dir.is_dir() {
        return Err(format!(
            "{} does not exist: release a migration with `schemac migrate <name>` first",
            dir.display()
        ));
    }
    deploy::local_history(&dir)
}

fn fail(message: &str) -> ExitCode {
    errln!("schemac: {message}");
    ExitCode::from(1)
}

pub fn status(db: &DbArgs) -> ExitCode {
    let run = || -> Result<deploy::Status, String> {
        let local = history(&db.out)?;
        let t = target(db)?;
        let mut client = live::connect(&t)?;
        deploy::status(&mut client, &local)
    };
    match run() {
        Ok(st) => {
            for a in &st.applied {
                let state = if a.complete {
                    "applied   "
                } else {
                    "incomplete"
                };
                let ms = a
                    .duration_ms
                    .map(|d| format!(", {d} ms"))
                    .unwrap_or_default();
                outln!(
                    "{state} {}  {} (schemac {}{ms})",
                    a.name,
                    a.applied_at,
                    a.version
                );
            }
            for p in &st.pending {
                outln!("pending    {}", p.name);
            }
            if let Some(name) = &st.incomplete {
                outln!("schemac: {name} stopped in its non-transactional part: `schemac deploy` resumes it");
            }
            outln!(
                "schemac: {} applied, {} pending",
                st.applied.len(),
                st.pending.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

pub fn deploy(db: &DbArgs, dry_run: bool) -> ExitCode {
    let run = || -> Result<deploy::Report, String> {
        let local = history(&db.out)?;
        let t = target(db)?;
        let mut client = live::connect(&t)?;
        let mut say = |line: &str| {
            if dry_run {
                outln!("{line}");
            } else {
                errln!("schemac: {line}");
            }
        };
        deploy::deploy(&mut client, &local, dry_run, &mut say)
    };
    match run() {
        Ok(r) if dry_run => {
            let _ = r;
            ExitCode::SUCCESS
        }
        Ok(r) => {
            for (name, ms) in &r.applied {
                errln!("schemac: applied {name} in {ms} ms");
            }
            if r.applied.is_empty() && r.resumed.is_none() {
                errln!("schemac: the database is up to date");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}
