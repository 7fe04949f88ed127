//! Reading a project directory: `schemac.toml` and `domains/*.toml`, parsed into
//! syntax trees. TOML errors become diagnostics like any other.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics, FileId, Loc, Sources};
use crate::syntax::{DomainFile, ProjectFile};

/// The parsed files of a project; files that failed to parse are absent.
#[derive(Debug, Default)]
pub struct ProjectSource {
    pub project: Option<(FileId, ProjectFile)>,
    pub domains: Vec<(FileId, DomainFile)>,
}

/// Largest file schemac reads; larger files are refused with a diagnostic
/// (a schema file this big is a mistake, and it bounds memory use).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and parses every file of the project in `dir`. Display paths start with the
/// directory's own name (`schemas/domains/crm.toml`), never with the machine's path.
pub fn load(dir: &Path, sources: &mut Sources, diags: &mut Diagnostics) -> ProjectSource {
    let mut out = ProjectSource::default();
    let root = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "project".to_string());
    let project_path = dir.join("schemac.toml");
    if !dir.is_dir() {
        // The directory as the user gave it: there is no other name to show.
        diags.push(
            Diagnostic::error(
                "missing-project-file",
                format!("the project directory `{}` does not exist", dir.display()),
            )
            .help("pass the directory that holds `schemac.toml`: `--project <dir>` (default `schemas`)"),
        );
        return out;
    }
    if !project_path.is_file() {
        diags.push(
            Diagnostic::error(
                "missing-project-file",
                format!("`{root}/schemac.toml` does not exist"),
            )
            .help("create it with a `[project]` section (name, postgres = 15), or pass `--project <dir>`"),
        );
    } else if let Some(id) = read(
        &project_path,
        &format!("{root}/schemac.toml"),
        sources,
        diags,
    ) {
        if let Some(p) = parse::<ProjectFile>(id, &sources.get(id).text, diags) {
            out.project = Some((id, p));
        }
    }

    let domains_dir = dir.join("domains");
    let mut files: Vec<_> = match std::fs::read_dir(&domains_dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    if files.is_empty() && out.project.is_some() {
        diags.push(
            Diagnostic::error(
                "no-domains",
                format!("`{root}/domains/` holds no `.toml` files"),
            )
            .help("add one file per domain, e.g. `domains/crm.toml` with a `[domain]` section"),
        );
    }
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let display = format!("{root}/domains/{name}");
        if let Some(id) = read(&path, &display, sources, diags) {
            if let Some(d) = parse::<DomainFile>(id, &sources.get(id).text, diags) {
                out.domains.push((id, d));
            }
        }
    }
    out
}

fn read(
    path: &Path,
    display: &str,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<FileId> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        diags.push(
            Diagnostic::error(
                "file-too-large",
                format!("`{display}` is {size} bytes, more than schemac reads ({MAX_FILE_BYTES})"),
            )
            .help("split the domain into several files"),
        );
        return None;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(
                "unreadable-file",
                format!("cannot read `{display}`: {e}"),
            ));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Some(sources.add(display.to_string(), text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let start = lossy
                .char_indices()
                .map(|(i, _)| i)
                .find(|i| *i >= at)
                .unwrap_or(lossy.len());
            let id = sources.add(display.to_string(), lossy);
            diags.push(
                Diagnostic::error("not-utf8", format!("`{display}` is not UTF-8 text"))
                    .label(&Loc::new(id, start..start + 1), "invalid byte here")
                    .help("TOML files must be UTF-8; re-save the file as UTF-8 text"),
            );
            None
        }
    }
}

fn parse<T: DeserializeOwned>(file: FileId, text: &str, diags: &mut Diagnostics) -> Option<T> {
    let controls = crate::syntax::escapes::control_escapes(text);
    if !controls.is_empty() {
        for c in controls {
            let what = match c.code {
                0 => "a NUL character".to_string(),
                0x0d => "a carriage return".to_string(),
                code => format!("the control character U+{code:04X}"),
            };
            diags.push(
                Diagnostic::error("control-character", format!("this string holds {what}"))
                    .label(&Loc::new(file, c.span), "escape of a control character")
                    .help("remove it: schemac strings may hold tabs and line feeds (`\\n`), no other control character"),
            );
        }
        return None;
    }
    match toml::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            diags.push(toml_error(file, text, &e));
            None
        }
    }
}

/// Turns a TOML or shape error into a diagnostic with a "did you mean" where it can.
fn toml_error(file: FileId, text: &str, e: &toml::de::Error) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    let span = if span.is_empty() && !text.is_empty() {
        let s = span.start.min(text.len().saturating_sub(1));
        s..s + 1
    } else {
        span
    };
    let loc = Loc::new(file, span);
    let message = e.message().trim().to_string();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let candidates: Vec<&str> = expected
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s)
            .collect();
        let help = match did_you_mean(field, candidates.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None if candidates.is_empty() => "remove this key".to_string(),
            None => format!(
                "remove this key; the keys allowed here are {}",
                list(&candidates)
            ),
        };
        return Diagnostic::error("unknown-key", format!("unknown key `{field}`"))
            .label(&loc, "not a key of the schemac language here")
            .help(help);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return Diagnostic::error("missing-key", format!("missing key `{field}`"))
            .label(&loc, format!("`{field}` is required here"))
            .help(format!("add `{field} = ...` to this table"));
    }
    // `[[tables.t.checks]]` where the language keys entries by name: say so, rather than
    // "duplicate key" or "invalid type: sequence".
    let line_start = text[..loc.span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    if (message.contains("duplicate key") || message.contains("sequence, expected a map"))
        && line.starts_with("[[")
    {
        let header = line
            .trim_start_matches("[[")
            .split("]]")
            .next()
            .unwrap_or("")
            .trim();
        let line_loc = Loc::new(file, line_start..line_start + line.len());
        return Diagnostic::error(
            "array-of-tables",
            format!("`[[{header}]]` writes an array of tables, but the entries of `{header}` are keyed by name"),
        )
        .label(&line_loc, "array-of-tables header")
        .help(format!("give each entry its name: `[{header}.<name>]`"));
    }
    if message.contains("duplicate key") {
        let key = text.get(loc.span.clone()).unwrap_or("").trim();
        let message = if key.is_empty() {
            message
        } else {
            format!("duplicate key `{key}`")
        };
        return Diagnostic::error("duplicate-key", message)
            .label(&loc, "defined again here")
            .help("each key may appear once; remove or rename one of them");
    }
    if message.starts_with("invalid type") {
        return Diagnostic::error("invalid-type", message)
            .label(&loc, "wrong kind of value")
            .help("see docs/language.md for the value this key takes");
    }
    Diagnostic::error("toml-syntax", message)
        .label(&loc, "here")
        .help("fix the TOML syntax (see https://toml.io)")
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
