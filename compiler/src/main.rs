//! The `schemac` command line: a thin layer over the library (printing and exit codes).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
struct Dirs {
    /// Project directory holding `schemac.toml` and `domains/`.
    #[arg(long, default_value = "schemas")]
    project: PathBuf,
    /// Output directory for generated SQL.
    #[arg(long, default_value = "generated")]
    out: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Compile the project and write `schema.sql` and per-domain files into the output directory.
    Build(Dirs),
    /// Compile without writing; fail if there are errors or the output directory is stale.
    Check(Dirs),
    /// Print the Supabase shim (roles, `auth` schema and functions) for testing on plain PostgreSQL.
    Shim,
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
        Command::Shim => {
            print!("{}", schemac::SUPABASE_SHIM);
            ExitCode::SUCCESS
        }
        Command::JsonSchema { kind } => {
            println!("{}", schemac::syntax::json_schema(&kind));
            ExitCode::SUCCESS
        }
    }
}

/// Prints diagnostics to stderr; returns whether any was an error.
fn report(c: &Compilation) -> bool {
    let width = 100;
    let renderer = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Renderer::fancy(width)
    } else {
        Renderer::plain(width)
    };
    let sorted = c.diagnostics.sorted(&c.sources);
    for d in &sorted {
        eprint!("{}", renderer.render(d, &c.sources));
        eprintln!();
    }
    let errors = sorted
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = sorted.len() - errors;
    if errors > 0 {
        eprintln!("schemac: {errors} error(s), {warnings} warning(s); nothing was written");
    } else if warnings > 0 {
        eprintln!("schemac: {warnings} warning(s)");
    }
    errors > 0
}

fn build(d: &Dirs) -> ExitCode {
    let c = schemac::compile(&d.project);
    if report(&c) {
        return ExitCode::from(1);
    }
    let Some(output) = &c.output else {
        return ExitCode::from(1);
    };
    match write(&d.out, output) {
        Ok(r) => {
            eprintln!(
                "schemac: {} file(s) written, {} unchanged, {} removed in {}",
                r.written.len(),
                r.unchanged.len(),
                r.removed.len(),
                d.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("schemac: cannot write to {}: {e}", d.out.display());
            ExitCode::from(1)
        }
    }
}

fn check(d: &Dirs) -> ExitCode {
    let c = schemac::compile(&d.project);
    if report(&c) {
        return ExitCode::from(1);
    }
    let Some(output) = &c.output else {
        return ExitCode::from(1);
    };
    let label = d.out.display().to_string();
    let drifts = compare(&d.out, &label, output);
    if drifts.is_empty() {
        eprintln!("schemac: {} is up to date", label);
        return ExitCode::SUCCESS;
    }
    for drift in &drifts {
        match drift {
            Drift::Missing(p) => eprintln!("missing: {label}/{p}"),
            Drift::Extra(p) => eprintln!("no longer generated: {label}/{p}"),
            Drift::Stale { diff, .. } => print!("{diff}"),
        }
    }
    eprintln!(
        "schemac: {} generated file(s) differ from the TOML; run `just build` (or `schemac build --project {} --out {label}`) and commit the result",
        drifts.len(),
        d.project.display()
    );
    ExitCode::from(1)
}
