//! schemac: a declarative PostgreSQL schema compiler.
//!
//! The pipeline, in the order data flows:
//! `source` (files) -> `syntax` (TOML with spans) -> `ir` (resolved) -> `plan`
//! (dependency order) -> `emit` (SQL text) -> `output` (files on disk).
//! The library never prints and never exits; the binary in `main.rs` does.

/// Compilation allocates many small strings (names, SQL lines); mimalloc serves them
/// several times faster than the system allocator. Every binary linking the library
/// (the CLI, the tests, the benchmark) uses it, so measured and shipped code agree.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod diag;
pub mod emit;
pub mod history;
pub mod ir;
pub mod lint;
pub mod live;

pub mod output;
pub mod plan;
pub mod source;
pub mod syntax;
pub mod synth;

use std::path::Path;

use diag::{Diagnostics, Sources};
use emit::Output;
use ir::Ir;
use plan::Plan;

/// The Supabase shim: roles, `auth` schema and functions, for running generated SQL
/// on a plain PostgreSQL (tests, local development).
pub const SUPABASE_SHIM: &str = include_str!("../sql/supabase_shim.sql");

/// Supabase's default privileges on `public`, for testing a `platform = "supabase"`
/// project on plain PostgreSQL as it will run there.
pub const SUPABASE_DEFAULT_PRIVILEGES: &str =
    include_str!("../sql/supabase_default_privileges.sql");

/// Everything one compilation produced. Later phases are skipped when earlier ones
/// reported errors, so one typo does not cause a cascade of follow-on errors.
#[derive(Debug, Default)]
pub struct Compilation {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    pub ir: Option<Ir>,
    pub plan: Option<Plan>,
    /// The lint's findings (present when the project resolved without errors).
    pub lint: Option<lint::LintReport>,
    /// Present only when there were no errors.
    pub output: Option<Output>,
}

/// What to compile.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Run only this lint rule (fixtures test one rule at a time).
    pub only_rule: Option<String>,
}

/// Compiles the project in `dir` without writing anything.
pub fn compile(dir: &Path) -> Compilation {
    compile_with(dir, &Options::default())
}

/// Compiles with options; see [`compile`].
pub fn compile_with(dir: &Path, options: &Options) -> Compilation {
    diag::reset_suggestion_budget();
    let mut c = Compilation::default();
    let src = source::load(dir, &mut c.sources, &mut c.diagnostics);
    // A file that did not parse would make every reference into it look unknown, so
    // resolution waits until every file parses.
    if c.diagnostics.has_errors() {
        return c;
    }
    let ir = ir::lower(&src, &c.sources, &mut c.diagnostics);
    // The lint and the planner both need a resolved IR, and neither needs the other:
    // a naming problem does not hide a dependency cycle.
    if !c.diagnostics.has_errors() {
        c.lint = Some(lint::run(
            &ir,
            &c.sources,
            options.only_rule.as_deref(),
            &mut c.diagnostics,
        ));
        c.plan = plan::order_by_dependencies(&ir, &mut c.diagnostics);
    }
    if !c.diagnostics.has_errors() {
        if let Some(plan) = &c.plan {
            c.output = Some(emit::emit_project(&ir, plan, &c.sources));
        }
    }
    c.ir = Some(ir);
    c
}
