// Each test crate uses a part of the support code.
#![allow(dead_code)]

//! Shared test support: a real PostgreSQL, and comparing its catalogs with the IR.

pub mod catalog;
pub mod cli;
pub mod pg;
pub mod rls;
pub mod tcp;

use std::path::{Path, PathBuf};

/// The repository root (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every project the tests compile on a real server: the example, the test projects
/// from the design documents, and the valid fixtures.
pub fn all_projects() -> Vec<PathBuf> {
    let root = repo_root();
    let mut out = vec![root.join("schemas")];
    for dir in ["compiler/tests/projects", "compiler/tests/fixtures/ok"] {
        let mut v: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.join("schemac.toml").exists())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        out.extend(v);
    }
    out
}

/// Compiles a project that must compile cleanly; panics with the rendered diagnostics.
pub fn compile_ok(dir: &Path) -> schemac::Compilation {
    let c = schemac::compile(dir);
    if c.output.is_none() || c.diagnostics.has_errors() {
        let r = schemac::diag::Renderer::plain(100);
        let text: String = c
            .diagnostics
            .sorted(&c.sources)
            .iter()
            .map(|d| r.render(d, &c.sources))
            .collect();
        panic!("{} does not compile:\n{text}", dir.display());
    }
    c
}
