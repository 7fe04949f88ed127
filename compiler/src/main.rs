//! The `schemac` command line: a thin layer over the library (printing and exit codes).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Output that tolerates its reader: when stdout or stderr is a pipe whose reader went
// away (`schemac lint --format json | head -1`), the text is dropped and the command
// finishes with the exit status it would have had, instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{ use std::io::Write; let _ = write!(std::io::stdout().lock(), $($t)*); }};
}
macro_rules! outln {
    ($($t:tt)*) => {{ use std::io::Write; let _ = writeln!(std::io::stdout().lock(), $($t)*); }};
}
macro_rules! err {
    ($($t:tt)*) => {{ use std::io::Write; let _ = write!(std::io::stderr().lock(), $($t)*); }};
}
macro_rules! errln {
    ($($t:tt)*) => {{ use std::io::Write; let _ = writeln!(std::io::stderr().lock(), $($t)*); }};
}
#[path = "cli/live.rs"]
mod live_cli;

use schemac::diag::{Renderer, Severity};
use schemac::output::{compare, write, Drift};
use schemac::Compilation;

/// Declarative PostgreSQL schema compiler: TOML in, reviewable SQL out.
#[derive(Parser)]
#[command(name = "schemac", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
pub(crate) struct Dirs {
    /// Project directory holding `schemac.toml` and `domains/`.
    #[arg(long, default_value = "schemas")]
    pub(crate) project: PathBuf,
    /// Output directory for generated SQL.
    #[arg(long, default_value = "generated")]
    pub(crate) out: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

#[derive(Subcommand)]
enum Command {
    /// Compile the project and write `schema.sql` and per-domain files into the output directory.
    Build(Dirs),
    /// Compile without writing; fail if there are errors or the output directory is stale.
    Check(Dirs),
    /// Compile the changes since the last migration into `<out>/migrations/NNNN_<name>/`.
    Migrate {
        /// Migration name: lower-case letters, digits and underscores.
        name: String,
        #[command(flatten)]
        dirs: Dirs,
    },
    /// Check naming conventions and security rules (also part of build and check).
    Lint {
        /// Project directory holding `schemac.toml` and `domains/`.
        #[arg(long, default_value = "schemas")]
        project: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Apply mechanical fixes to the TOML (prefix, plural, wrap auth calls).
        #[arg(long)]
        fix: bool,
        /// List the documented exemptions with their reasons.
        #[arg(long)]
        show_exempt: bool,
    },
    /// Write a synthetic project (for benchmarks): N tables over N/100 domains.
    #[command(hide = true)]
    Synth {
        dir: PathBuf,
        #[arg(long, default_value_t = 1000)]
        tables: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the second state of the history: a tenth of the tables renamed.
        #[arg(long)]
        renamed: bool,
    },
    /// Write the rules' documentation (docs/rules/<rule>.md) into a directory.
    #[command(hide = true)]
    RuleDocs { dir: PathBuf },
    /// Print the Supabase shim (roles, `auth` schema and functions) for testing on plain PostgreSQL.
    Shim {
        /// Also print Supabase's default privileges (the API roles get every new object in
        /// `public`), to test a `platform = "supabase"` project as it will run there.
        #[arg(long)]
        default_privileges: bool,
    },
    /// Apply the pending released migrations to a database, recording each in
    /// `schemac.migrations` (under an advisory lock; resumes an interrupted one).
    Deploy {
        #[command(flatten)]
        db: live_cli::DbArgs,
        /// Print the SQL that would run, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Compare a database with the compiled schema (or the last released migration) and
    /// list every difference; exit 1 on drift.
    Diff {
        /// Project directory holding `schemac.toml` and `domains/`.
        #[arg(long, default_value = "schemas")]
        project: PathBuf,
        #[command(flatten)]
        db: live_cli::DbArgs,
        /// What the database should match.
        #[arg(long, value_enum, default_value_t = live_cli::Against::Schema)]
        against: live_cli::Against,
        /// Output format.
        #[arg(long, value_enum, default_value_t = live_cli::DiffFormat::Human)]
        format: live_cli::DiffFormat,
    },
    /// Read an existing database into a TOML project (one domain per table-name prefix).
    Import {
        #[command(flatten)]
        db: live_cli::DbArgs,
        /// Project directory to write (`schemac.toml` and `domains/`).
        #[arg(long, default_value = "schemas")]
        project: PathBuf,
        /// Schemas to import (repeat the flag); the first is the default schema.
        #[arg(long = "schema")]
        schemas: Vec<String>,
        /// Replace an existing project.
        #[arg(long)]
        force: bool,
        /// Fail (exit 1) when anything was imported as a raw SQL block or left out.
        #[arg(long)]
        strict: bool,
    },
    /// Apply the schema, the released migrations and the pending changes to scratch
    /// databases (a throwaway local server without --database-url), and report every
    /// statement PostgreSQL refuses on the TOML that produced it.
    Verify {
        #[command(flatten)]
        dirs: Dirs,
        /// A server where schemac may create (and then drops) scratch databases. Without
        /// it, a throwaway server is started with the local initdb.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Write the released migrations as `supabase/migrations/<version>_<name>.sql` files for
    /// `supabase db push` (one file per transaction, each CONCURRENTLY statement alone).
    SupabaseExport {
        /// Output directory holding `migrations/`.
        #[arg(long, default_value = "generated")]
        out: PathBuf,
        /// The Supabase CLI's migrations folder.
        #[arg(long, default_value = "supabase/migrations")]
        to: PathBuf,
        /// Write nothing; exit 1 if a file is missing (for CI).
        #[arg(long)]
        check: bool,
    },
    /// List the migrations a database has applied and the pending ones.
    Status {
        #[command(flatten)]
        db: live_cli::DbArgs,
    },
    /// Print the JSON Schema of the project file or of domain files (for Taplo / Even Better TOML).
    JsonSchema {
        /// `project` (schemac.toml) or `domain` (domains/*.toml).
        #[arg(value_parser = ["project", "domain"])]
        kind: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(d) => build(&d),
        Command::Check(d) => check(&d),
        Command::Migrate { name, dirs } => migrate(&name, &dirs),
        Command::Lint {
            project,
            format,
            fix,
            show_exempt,
        } => lint(&project, format, fix, show_exempt),
        Command::Synth {
            dir,
            tables,
            seed,
            renamed,
        } => match schemac::synth::write_project(&dir, tables, seed, renamed) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                errln!("schemac: cannot write {}: {e}", dir.display());
                ExitCode::from(1)
            }
        },
        Command::RuleDocs { dir } => {
            for (name, text) in schemac::lint::rule_docs() {
                if let Err(e) = std::fs::create_dir_all(&dir)
                    .and_then(|_| std::fs::write(dir.join(&name), text))
                {
                    errln!("schemac: cannot write {}: {e}", dir.join(&name).display());
                    return ExitCode::from(1);
                }
            }
            ExitCode::SUCCESS
        }
        Command::Shim { default_privileges } => {
            out!("{}", schemac::SUPABASE_SHIM);
            if default_privileges {
                out!("\n{}", schemac::SUPABASE_DEFAULT_PRIVILEGES);
            }
            ExitCode::SUCCESS
        }
        Command::Deploy { db, dry_run } => live_cli::deploy(&db, dry_run),
        Command::Status { db } => live_cli::status(&db),
        Command::Verify { dirs, database_url } => live_cli::verify(&dirs, database_url.as_deref()),
        Command::SupabaseExport { out, to, check } => live_cli::supabase_export(&out, &to, check),
        Command::Import {
            db,
            project,
            schemas,
            force,
            strict,
        } => live_cli::import(&db, &project, &schemas, force, strict),
        Command::Diff {
            project,
            db,
            against,
            format,
        } => live_cli::diff(&project, &db, against, format),
        Command::JsonSchema { kind } => {
            outln!("{}", schemac::syntax::json_schema(&kind));
            ExitCode::SUCCESS
        }
    }
}

/// Prints diagnostics to stderr; returns whether any was an error.
pub(crate) fn report(c: &Compilation) -> bool {
    let width = 100;
    let renderer = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Renderer::fancy(width)
    } else {
        Renderer::plain(width)
    };
    let sorted = c.diagnostics.sorted(&c.sources);
    for d in &sorted {
        err!("{}", renderer.render(d, &c.sources));
        errln!();
    }
    let errors = sorted
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = sorted.len() - errors;
    if errors > 0 {
        errln!("schemac: {errors} error(s), {warnings} warning(s)");
    } else if warnings > 0 {
        errln!("schemac: {warnings} warning(s)");
    }
    errors > 0
}

fn build(d: &Dirs) -> ExitCode {
    let c = schemac::compile(&d.project);
    if report(&c) {
        errln!("schemac: nothing was written");
        return ExitCode::from(1);
    }
    let Some(output) = &c.output else {
        return ExitCode::from(1);
    };
    let result = write(&d.out, output);
    // The process ends here: freeing the compiled project piece by piece only costs time.
    std::mem::forget(c);
    match result {
        Ok(r) => {
            errln!(
                "schemac: {} file(s) written, {} unchanged, {} removed in {}",
                r.written.len(),
                r.unchanged.len(),
                r.removed.len(),
                d.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!(
                "schemac: cannot write {e}; nothing in {} was changed",
                d.out.display()
            );
            ExitCode::from(1)
        }
    }
}

fn check(d: &Dirs) -> ExitCode {
    let mut c = schemac::compile(&d.project);
    if let Some(ir) = &c.ir {
        if !c.diagnostics.has_errors() {
            let label = format!("{}/migrations", d.out.display());
            schemac::history::verify(&d.out.join("migrations"), &label, ir, &mut c.diagnostics);
        }
    }
    if report(&c) {
        return ExitCode::from(1);
    }
    let Some(output) = &c.output else {
        return ExitCode::from(1);
    };
    let label = d.out.display().to_string();
    let drifts = compare(&d.out, &label, output);
    if drifts.is_empty() {
        errln!("schemac: {} is up to date", label);
        return ExitCode::SUCCESS;
    }
    for drift in &drifts {
        match drift {
            Drift::Missing(p) => errln!("missing: {label}/{p}"),
            Drift::Extra(p) => errln!("no longer generated: {label}/{p}"),
            Drift::Stale { diff, .. } => out!("{diff}"),
        }
    }
    errln!(
        "schemac: {} generated file(s) differ from the TOML; run `just build` (or `schemac build --project {} --out {label}`) and commit the result",
        drifts.len(),
        d.project.display()
    );
    ExitCode::from(1)
}

fn lint(project: &std::path::Path, format: Format, fix: bool, show_exempt: bool) -> ExitCode {
    let mut c = schemac::compile(project);
    if fix {
        let fixes: Vec<_> = c
            .lint
            .iter()
            .flat_map(|r| r.active.iter().filter_map(|(f, _)| f.fix.clone()))
            .collect();
        if !fixes.is_empty() {
            match schemac::lint::fix::apply(project, &c.sources, &fixes) {
                Ok(changed) => {
                    errln!(
                        "schemac: applied {} fix(es) in {} file(s): {}",
                        fixes.len(),
                        changed.len(),
                        changed.join(", ")
                    );
                    c = schemac::compile(project);
                }
                Err(e) => {
                    errln!("schemac: could not apply fixes: {e}");
                    return ExitCode::from(1);
                }
            }
        } else {
            errln!("schemac: nothing to fix mechanically");
        }
    }
    if show_exempt {
        if let (Some(r), Some(ir)) = (&c.lint, &c.ir) {
            for (subject, e) in &r.exemptions {
                let what = match subject {
                    schemac::lint::Subject::Table(i) => {
                        format!("table {}", ir.tables[*i].name.name)
                    }
                    schemac::lint::Subject::View(i) => format!("view {}", ir.views[*i].name.name),
                    schemac::lint::Subject::Function(i) => {
                        format!("function {}", ir.functions[*i].name.name)
                    }
                    schemac::lint::Subject::OnExternal(i) => {
                        format!("objects on {}", ir.on_external[*i].table)
                    }
                    schemac::lint::Subject::Project => "project".to_string(),
                };
                let (line, _) = c.sources.line_col(e.loc.file, e.loc.span.start);
                outln!(
                    "{}:{line}: {what}: {} exempt: {}",
                    c.sources.get(e.loc.file).path,
                    e.rule,
                    e.reason
                );
            }
        }
    }
    let sorted = c.diagnostics.sorted(&c.sources);
    let errors = sorted.iter().any(|d| d.severity == Severity::Error);
    match format {
        Format::Human => {
            report(&c);
            if sorted.is_empty() {
                errln!("schemac: lint clean");
            }
        }
        Format::Json => outln!("{}", schemac::lint::report::json(&sorted, &c.sources)),
        Format::Github => out!("{}", schemac::lint::report::github(&sorted, &c.sources)),
        Format::Sarif => outln!("{}", schemac::lint::report::sarif(&sorted, &c.sources)),
    }
    if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn migrate(name: &str, d: &Dirs) -> ExitCode {
    let mut c = schemac::compile(&d.project);
    if report(&c) {
        errln!("schemac: fix the errors above before creating a migration");
        return ExitCode::from(1);
    }
    let Some(ir) = c.ir.take() else {
        return ExitCode::from(1);
    };
    let dir = d.out.join("migrations");
    // A build swaps the whole output directory: the two must not interleave.
    let _lock = match schemac::output::lock_output_dir(&d.out) {
        Ok(l) => l,
        Err(e) => {
            errln!("schemac: cannot lock {e}");
            return ExitCode::from(1);
        }
    };
    match schemac::history::migrate(&dir, name, &ir, &mut c.diagnostics) {
        Err(e) => {
            errln!("schemac: cannot write to {}: {e}", dir.display());
            ExitCode::from(1)
        }
        Ok(None) => {
            report(&c);
            errln!("schemac: no migration was written");
            ExitCode::from(1)
        }
        Ok(Some(schemac::history::MigrateOutcome::NothingToDo)) => {
            errln!("schemac: the schema matches the last migration; nothing to do");
            ExitCode::SUCCESS
        }
        Ok(Some(schemac::history::MigrateOutcome::Written {
            dir_name,
            migration,
        })) => {
            for w in &migration.warnings {
                errln!("warning: {w}");
            }
            let cleanup = if migration.cleanup.is_some() {
                ", cleanup.sql"
            } else {
                ""
            };
            errln!("schemac: wrote {}/{dir_name}/ (up.sql, down.sql{cleanup}, snapshot.json); review it and commit it", dir.display());
            ExitCode::SUCCESS
        }
    }
}
