//! A mutational fuzzer on stable Rust: domain files from `tests/fuzz/corpus/` (valid
//! fixtures and the reproducers of past panics and injections), mutated with a seeded
//! generator, compiled in-process. Every case must finish without a panic, within a
//! deadline, and every accepted case must compile to the same bytes twice and to SQL
//! without control characters.
//!
//! `SCHEMAC_FUZZ_CASES` sets the number of mutated cases (default 1,500; CI runs the
//! default); `SCHEMAC_FUZZ_SEED` the first seed. A failing case is written to
//! `target/fuzz-failures/<seed>/` as a project that reproduces it.

mod support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One case may take this long (a debug build; the corpus compiles in milliseconds).
const DEADLINE: Duration = Duration::from_secs(20);

/// The synthetic projects' generator, with an index in `0..n`.
struct Lcg(schemac::synth::Lcg);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }
}

/// Tokens that have broken TOML readers, SQL emitters and diagnostic renderers.
const TOKENS: &[&str] = &[
    "\\u0000",
    "\\r",
    "\\e",
    "\\x00",
    "\\U0001F600",
    "İ",
    "ẞ",
    "\u{200B}",
    "é",
    "\"",
    "'",
    "\\",
    "\\\\'",
    "--",
    "/*",
    "*/",
    ";",
    "$$",
    "$1a$",
    "\n",
    "\r\n",
    "\t",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    ".",
    "[[",
    "]]",
    "\"\"\"",
    "'''",
    "#",
    "auth.uid()",
    "(select auth.uid())",
    "drop table public.canary",
    "true",
    "null",
    "1e400",
    "-0",
    "9223372036854775808",
    "public.",
    "\"Weird \"\"Name\"\"\"",
    "references = \"x.id\"",
    "type = \"uuid\"",
    "primary_key = true",
    "rls = false",
    "depends_on = [\"core\"]",
    "[renames.tables.a]",
    "to = \"b\"",
    "using = \"",
    "with_check = \"",
    "query = \"select * from ",
];

fn mutate(text: &str, rng: &mut Lcg, corpus: &[String]) -> String {
    let mut b: Vec<u8> = text.as_bytes().to_vec();
    // Half the cases change one string value only, so that they get past the TOML
    // reader and exercise resolution, the lint and the emitters.
    if rng.below(2) == 0 {
        let starts: Vec<usize> = text.match_indices("= \"").map(|(i, _)| i + 3).collect();
        if !starts.is_empty() {
            let at = starts[rng.below(starts.len())];
            let t = TOKENS[rng.below(TOKENS.len())];
            let t = if t.contains(['"', '\n', '\r']) {
                "İ"
            } else {
                t
            };
            b.splice(at..at, t.bytes());
            return String::from_utf8_lossy(&b).into_owned();
        }
    }
    for _ in 0..=rng.below(3) {
        let at = rng.below(b.len() + 1);
        match rng.below(8) {
            0 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                b.splice(at..at, t.bytes());
            }
            1 if !b.is_empty() => {
                let end = (at + 1 + rng.below(40)).min(b.len());
                b.drain(at.min(end)..end);
            }
            2 if !b.is_empty() => {
                let i = at.min(b.len() - 1);
                b[i] ^= 1 << rng.below(8);
            }
            3 => {
                // A line from another corpus file.
                let other = &corpus[rng.below(corpus.len())];
                let lines: Vec<&str> = other.lines().collect();
                if !lines.is_empty() {
                    let l = format!("{}\n", lines[rng.below(lines.len())]);
                    b.splice(at..at, l.bytes());
                }
            }
            4 => {
                // A long run: long names, long lines.
                let t = TOKENS[rng.below(TOKENS.len())].repeat(1 + rng.below(2000));
                b.splice(at..at, t.bytes());
            }
            5 if !b.is_empty() => {
                // Duplicate a stretch (duplicate keys, repeated tables).
                let end = (at + rng.below(200)).min(b.len());
                let copy = b[at.min(end)..end].to_vec();
                b.splice(end..end, copy);
            }
            6 => {
                let n = 1 + rng.below(300);
                let t = format!("x = {}{}\n", "[".repeat(n), "]".repeat(n));
                b.splice(at..at, t.bytes());
            }
            _ => {
                let d = ["0", "-1", "65536", "\"\"", "[]", "{}", "1.5"][rng.below(7)];
                b.splice(at..at, d.bytes());
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

enum Outcome {
    Rejected,
    Accepted,
    Failed(String),
}

/// Compiles the project twice (and renders every diagnostic) on its own thread.
fn run_case(dir: &Path) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let d = dir.to_path_buf();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| {
            let c = schemac::compile(&d);
            let renderer = schemac::diag::Renderer::plain(100);
            for diag in c.diagnostics.sorted(&c.sources) {
                renderer.render(&diag, &c.sources);
            }
            match &c.output {
                None => Outcome::Rejected,
                Some(out) => {
                    let again = schemac::compile(&d);
                    if again.output.as_ref().map(|o| &o.files) != Some(&out.files) {
                        return Outcome::Failed("two compilations differ".into());
                    }
                    for (name, text) in &out.files {
                        if let Some(c) = text.chars().find(|c| {
                            schemac::syntax::escapes::is_refused_control(u32::from(*c))
                                && *c != '\r'
                        }) {
                            return Outcome::Failed(format!("{name} holds U+{:04X}", u32::from(c)));
                        }
                    }
                    Outcome::Accepted
                }
            }
        });
        let _ = tx.send(r.unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Outcome::Failed(format!("panic: {msg}"))
        }));
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(o) => o,
        Err(_) => Outcome::Failed(format!("no result within {DEADLINE:?} (a hang)")),
    }
}

/// The file a domain lives in is named after it (`domain-file-name`).
fn domain_name(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .and_then(|rest| rest.split('"').next())
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or("core")
        .to_string()
}

#[test]
fn mutated_projects_never_panic_hang_or_emit_control_characters() {
    let root = support::repo_root().join("compiler/tests/fuzz");
    let project = std::fs::read_to_string(root.join("schemac.toml")).unwrap();
    let mut corpus_files: Vec<PathBuf> = std::fs::read_dir(root.join("corpus"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    corpus_files.sort();
    let corpus: Vec<String> = corpus_files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let cases: u64 = std::env::var("SCHEMAC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500);
    let first: u64 = std::env::var("SCHEMAC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let scratch = std::env::temp_dir().join(format!("schemac-fuzz-{}", std::process::id()));
    let (mut accepted, mut rejected, mut failures) = (0, 0, Vec::new());
    let start = Instant::now();
    // The corpus as it is (reported as unmutated), then the mutated cases.
    let total = corpus.len() as u64 + cases;
    for case in 0..total {
        let (domain, seed) = if case < corpus.len() as u64 {
            (corpus[case as usize].clone(), 0)
        } else {
            let seed = first + case - corpus.len() as u64;
            let mut rng = Lcg(schemac::synth::Lcg(seed));
            let base = &corpus[rng.below(corpus.len())];
            (mutate(base, &mut rng, &corpus), seed)
        };
        let dir = scratch.join(format!("case-{case}"));
        std::fs::create_dir_all(dir.join("domains")).unwrap();
        std::fs::write(dir.join("schemac.toml"), &project).unwrap();
        let file = format!("domains/{}.toml", domain_name(&domain));
        std::fs::write(dir.join(&file), &domain).unwrap();
        match run_case(&dir) {
            Outcome::Accepted => accepted += 1,
            Outcome::Rejected => rejected += 1,
            Outcome::Failed(why) => {
                let keep = support::repo_root()
                    .join("target/fuzz-failures")
                    .join(format!("case-{case}-seed-{seed}"));
                let _ = std::fs::create_dir_all(keep.join("domains"));
                let _ = std::fs::write(keep.join("schemac.toml"), &project);
                let _ = std::fs::write(keep.join(&file), &domain);
                failures.push(format!(
                    "case {case} (seed {seed}): {why}; kept in {}",
                    keep.display()
                ));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "fuzz: {total} cases ({} corpus, {cases} mutated) in {:.1} s: {accepted} accepted, {rejected} rejected with diagnostics, {} failed",
        corpus.len(),
        start.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The mutations reach both sides: a fuzzer whose every case is rejected at the TOML
    // reader tests nothing past it.
    assert!(
        accepted > 0 && rejected > 0,
        "accepted {accepted}, rejected {rejected}"
    );
}
