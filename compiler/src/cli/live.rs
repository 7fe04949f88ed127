//! `schemac deploy`, `status`, `diff` and `import`: the commands that talk to a database;
//! and `supabase-export`, the released migrations for the Supabase CLI.

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

/// What `schemac diff` compares the database with.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Against {
    /// The compiled TOML project.
    Schema,
    /// The state after the last released migration (`snapshot.json`).
    LastMigration,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Human,
    Json,
    Github,
}

pub fn diff(project: &Path, db: &DbArgs, against: Against, format: DiffFormat) -> ExitCode {
    let run = || -> Result<(Vec<live::drift::Drift>, &'static str), String> {
        let c = schemac::compile(project);
        let Some(ir) = c.ir.filter(|_| !c.diagnostics.has_errors()) else {
            return Err(format!(
                "{} does not compile: run `schemac check --project {}` for the errors",
                project.display(),
                project.display()
            ));
        };
        let (expected, label) = match against {
            Against::Schema => (ir, "the compiled schema"),
            Against::LastMigration => {
                let snap = schemac::history::last_snapshot(
                    &db.out.join("migrations"),
                    &ir.project.default_schema,
                )?;
                let mut from_snapshot = snap.into_ir();
                from_snapshot.project = ir.project.clone();
                (from_snapshot, "the last released migration")
            }
        };
        let t = target(db)?;
        let mut client = live::connect(&t)?;
        let mut query = |sql: &str| live::rows(&mut client, sql);
        Ok((live::drift::compare(&expected, &mut query)?, label))
    };
    let (drifts, label) = match run() {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    match format {
        DiffFormat::Json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&drifts).unwrap_or_else(|_| "[]".into())
            );
        }
        DiffFormat::Github => {
            for d in &drifts {
                outln!(
                    "::error title=schemac drift ({})::{}: {}",
                    d.kind,
                    d.object.replace("::", ": :"),
                    d.detail.replace('\n', " ")
                );
            }
        }
        DiffFormat::Human => {
            let mut group = "";
            for d in &drifts {
                let kind = d.object.split(' ').next().unwrap_or("");
                if kind != group {
                    outln!("{kind}:");
                    group = kind;
                }
                outln!("  {:<8} {}: {}", d.kind, d.object, d.detail);
            }
        }
    }
    if drifts.is_empty() {
        errln!("schemac: no drift: the database matches {label}");
        ExitCode::SUCCESS
    } else {
        errln!(
            "schemac: {} difference(s) between the database and {label}",
            drifts.len()
        );
        ExitCode::from(1)
    }
}

pub fn import(
    db: &DbArgs,
    project: &Path,
    schemas: &[String],
    force: bool,
    strict: bool,
) -> ExitCode {
    let schemas = if schemas.is_empty() {
        vec!["public".to_string()]
    } else {
        schemas.to_vec()
    };
    let run = || -> Result<live::import::Report, String> {
        let t = target(db)?;
        let mut client = live::connect(&t)?;
        let mut query = |sql: &str| live::rows(&mut client, sql);
        live::import::import(&mut query, &schemas, project, force)
    };
    let r = match run() {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    for (name, why) in &r.raw {
        errln!("warning: `{name}` imported as a raw SQL block: {why}");
    }
    if !r.extensions.is_empty() {
        errln!(
            "note: the database has extension(s) {}: declared under [extensions] in schemac.toml",
            r.extensions.join(", ")
        );
    }
    for rule in &r.relaxed {
        errln!("warning: the imported names break `{rule}`: set to a warning in [lint] until they are renamed");
    }
    for (object, rule) in &r.exempted {
        errln!(
            "warning: `{object}` breaks `{rule}` in the database: exempted with a reason to review"
        );
    }
    for s in &r.skipped {
        errln!("warning: {} `{}` not imported: {}", s.kind, s.object, s.why);
    }
    for e in &r.errors {
        errln!("error: {e}");
    }
    // The account of every object: taken as language, as raw SQL, or left out.
    errln!(
        "schemac: import report ({} kind(s) of object)",
        r.tally.len()
    );
    errln!(
        "  {:<22} {:>7} {:>7} {:>9}",
        "kind",
        "typed",
        "raw",
        "left out"
    );
    for (kind, t) in &r.tally {
        errln!("  {kind:<22} {:>7} {:>7} {:>9}", t.typed, t.raw, t.skipped);
    }
    errln!(
        "schemac: imported {} table(s) into {} ({} file(s), {} raw block(s), {} object(s) left out)",
        r.tables,
        project.display(),
        r.files,
        r.raw.len(),
        r.skipped.len()
    );
    if !r.errors.is_empty() {
        errln!("schemac: the imported project does not build yet: fix the errors above, then `schemac check`");
        return ExitCode::from(1);
    }
    if strict && (!r.raw.is_empty() || !r.skipped.is_empty()) {
        errln!(
            "schemac: --strict: {} raw block(s) and {} object(s) left out (listed above)",
            r.raw.len(),
            r.skipped.len()
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

pub fn supabase_export(out: &Path, to: &Path, check: bool) -> ExitCode {
    let run = || -> Result<live::supabase::Outcome, String> {
        let local = history(out)?;
        live::supabase::export(&local, to, live::supabase::now_seconds(), check)
    };
    match run() {
        Ok(o) if check && !o.written.is_empty() => {
            for name in &o.written {
                errln!("missing    {}", to.join(name).display());
            }
            fail(&format!(
                "{} is missing {} file(s): run `schemac supabase-export`",
                to.display(),
                o.written.len()
            ))
        }
        Ok(o) => {
            for name in &o.written {
                outln!("wrote      {}", to.join(name).display());
            }
            outln!(
                "{} file(s) written, {} already in {}",
                o.written.len(),
                o.unchanged,
                to.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

pub fn verify(dirs: &crate::Dirs, database_url: Option<&str>) -> ExitCode {
    let c = schemac::compile(&dirs.project);
    if crate::report(&c) {
        return ExitCode::from(1);
    }
    let (Some(ir), Some(plan)) = (c.ir.as_ref(), c.plan.as_ref()) else {
        return fail("the project did not compile");
    };
    let server;
    let admin = match database_url {
        Some(url) => match Target::parse(url.trim(), std::env::var("PGPASSWORD").ok()) {
            Ok(t) => t,
            Err(e) => return fail(&e),
        },
        None => {
            errln!("schemac: starting a throwaway PostgreSQL server");
            server = match live::cluster::Throwaway::start("verify") {
                Ok(s) => s,
                Err(e) => return fail(&e),
            };
            match Target::parse(&server.url("postgres"), None) {
                Ok(t) => t,
                Err(e) => return fail(&e),
            }
        }
    };
    let migrations = dirs.out.join("migrations");
    let r = match live::verify::verify(&admin, ir, plan, Some(&migrations)) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if !r.stand_ins.is_empty() {
        errln!(
            "schemac: the server has no {}: created from their declaration under [external.tables]",
            r.stand_ins.join(", ")
        );
    }
    let mut shown = schemac::Compilation {
        sources: c.sources.clone(),
        ..Default::default()
    };
    for d in &r.diagnostics {
        shown.diagnostics.push(d.clone());
    }
    crate::report(&shown);
    if r.follow_on > 0 {
        errln!(
            "schemac: {} more statement(s) failed because of the errors above (objects they left out); fix those first",
            r.follow_on
        );
    }
    for p in &r.problems {
        errln!("error: {p}");
    }
    for d in &r.schema_drift {
        errln!(
            "error: schema.sql does not build what the TOML declares: {} {}: {}",
            d.kind,
            d.object,
            d.detail
        );
    }
    for d in &r.history_drift {
        errln!(
            "error: the migrations do not build what the TOML declares: {} {}: {}",
            d.kind,
            d.object,
            d.detail
        );
    }
    if r.failed() {
        return fail("verify failed: PostgreSQL refused the SQL above");
    }
    outln!(
        "schemac: verified on PostgreSQL: {} object(s) of schema.sql, {} released migration(s){}, and both databases match the TOML",
        r.objects,
        r.migrations,
        if r.pending { " and the pending changes" } else { "" }
    );
    ExitCode::SUCCESS
}
