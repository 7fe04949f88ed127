//! Machine-readable lint output: JSON, GitHub workflow annotations, SARIF 2.1.0.

use serde_json::json;

use crate::diag::{Diagnostic, Severity, Sources};

fn position(d: &Diagnostic, sources: &Sources) -> (String, usize, usize, usize, usize) {
    match d.labels.first() {
        Some(l) => {
            let (line, col) = sources.line_col(l.loc.file, l.loc.span.start);
            let (end_line, end_col) = sources.line_col(l.loc.file, l.loc.span.end);
            (
                sources.get(l.loc.file).path.clone(),
                line,
                col,
                end_line,
                end_col,
            )
        }
        None => (String::new(), 1, 1, 1, 1),
    }
}

/// The rule name without the `(N001)` code suffix.
fn rule_id(d: &Diagnostic) -> String {
    d.code.split(" (").next().unwrap_or(&d.code).to_string()
}

pub fn json(diags: &[Diagnostic], sources: &Sources) -> String {
    let items: Vec<_> = diags
        .iter()
        .map(|d| {
            let (file, line, column, end_line, end_column) = position(d, sources);
            json!({
                "rule": rule_id(d),
                "code": d.code,
                "severity": d.severity,
                "message": d.message,
                "help": d.help,
                "file": file,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
            })
        })
        .collect();
    serde_json::to_string_pretty(&items)
        .unwrap_or_else(|e| unreachable!("JSON values serialize: {e}"))
}

/// `::error file=...,line=...::message` lines for GitHub Actions.
pub fn github(diags: &[Diagnostic], sources: &Sources) -> String {
    let esc = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| esc(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for d in diags {
        let (file, line, col, end_line, end_col) = position(d, sources);
        let level = if d.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        let help = d
            .help
            .as_ref()
            .map(|h| format!("\n{h}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}\n",
            prop(&file),
            prop(&d.code),
            esc(&format!("{}{help}", d.message))
        ));
    }
    out
}

pub fn sarif(diags: &[Diagnostic], sources: &Sources) -> String {
    let rules: Vec<_> = super::RULES
        .iter()
        .map(|r| json!({"id": r.name, "name": r.name, "shortDescription": {"text": r.summary()}, "helpUri": format!("docs/rules/{}.md", r.name)}))
        .collect();
    let results: Vec<_> = diags
        .iter()
        .map(|d| {
            let (file, line, col, end_line, end_col) = position(d, sources);
            json!({
                "ruleId": rule_id(d),
                "level": if d.severity == Severity::Error { "error" } else { "warning" },
                "message": {"text": match &d.help { Some(h) => format!("{} ({h})", d.message), None => d.message.clone() }},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": file},
                    "region": {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col}
                }}]
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "schemac", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}]
    });
    serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| unreachable!("JSON values serialize: {e}"))
}
