//! The lint: naming conventions and security rules checked against the IR.
//!
//! `registry.rs` is the only list of rules. Each rule lives in its own file under
//! `rules/`, and that file's `//!` comment is the rule's documentation (What it does,
//! Why, Example, Fix), rendered into `docs/rules/<name>.md`.

pub mod fix;
mod names;
pub mod privileges;
mod registry;
pub mod report;

use std::collections::BTreeMap;

pub use names::{judge_table_name, NameVerdict};
pub use registry::RULES;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics, Loc, Severity, Sources};
use crate::ir::{Exemption, Ir};

/// How seriously a rule is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Off,
}

/// One rule of the registry.
pub struct Rule {
    /// Stable kebab-case name, used in `[lint]`, in `allow` and in output.
    pub name: &'static str,
    /// Short stable code (N = naming, S = security).
    pub code: &'static str,
    pub default: Level,
    /// The rule file's source; its `//!` comment is the documentation.
    source: &'static str,
    pub check: fn(&Ir, &mut Vec<Finding>),
}

impl Rule {
    /// The rule's documentation: its file's `//!` comment, as Markdown.
    pub fn doc(&self) -> String {
        self.source
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| {
                l.trim_start_matches("//!")
                    .strip_prefix(' ')
                    .unwrap_or(l.trim_start_matches("//!"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
    /// The first sentence of the documentation.
    pub fn summary(&self) -> String {
        self.doc()
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .unwrap_or("")
            .to_string()
    }
}

pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// The object a finding is about, for exemptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Table(usize),
    /// The objects a domain puts on an external table (`ir.on_external`).
    OnExternal(usize),
    View(usize),
    Function(usize),
    Project,
}

/// A rule violation, before severity and exemptions are applied.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static str,
    pub subject: Subject,
    pub message: String,
    pub labels: Vec<(Loc, String)>,
    pub help: String,
    pub fix: Option<fix::Fix>,
    /// Byte range inside the SQL fragment the first label covers: the label is narrowed
    /// to it in the TOML file (when the string has no escapes).
    pub within: Option<std::ops::Range<usize>>,
}

impl Finding {
    pub fn new(
        rule: &'static str,
        subject: Subject,
        message: impl Into<String>,
        loc: &Loc,
        label: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Finding {
            rule,
            subject,
            message: message.into(),
            labels: vec![(loc.clone(), label.into())],
            help: help.into(),
            fix: None,
            within: None,
        }
    }
    /// Points the first label at `range` of the fragment it labels.
    pub fn within(mut self, range: std::ops::Range<usize>) -> Self {
        self.within = Some(range);
        self
    }
    fn narrowed(mut self, sources: &Sources) -> Self {
        if let (Some(inner), Some((loc, _))) = (self.within.take(), self.labels.first_mut()) {
            let text = &sources.get(loc.file).text;
            loc.span = crate::ir::sql::span_in_value(text, &loc.span, inner);
        }
        self
    }
    pub fn with_fix(mut self, fix: fix::Fix) -> Self {
        self.fix = Some(fix);
        self
    }
    fn diagnostic(&self, severity: Severity) -> Diagnostic {
        let rule = rule(self.rule)
            .map(|r| format!("{} ({})", r.name, r.code))
            .unwrap_or_else(|| self.rule.to_string());
        let mut d = Diagnostic::error(rule, self.message.clone()).help(self.help.clone());
        d.severity = severity;
        for (l, m) in &self.labels {
            d = d.label(l, m.clone());
        }
        d
    }
}

/// What the lint found.
#[derive(Debug, Default)]
pub struct LintReport {
    /// Findings that count, with the severity they were given.
    pub active: Vec<(Finding, Severity)>,
    /// Findings suppressed by a documented exemption.
    pub exempted: Vec<(Finding, Exemption)>,
    /// Every exemption in the project, with its subject.
    pub exemptions: Vec<(Subject, Exemption)>,
}

fn level_of(ir: &Ir, r: &Rule) -> Level {
    match ir.project.lint.get(r.name).map(|(s, _)| s.as_str()) {
        Some("error") => Level::Error,
        Some("warn") => Level::Warn,
        Some("off") => Level::Off,
        _ => r.default,
    }
}

/// A table's policies and indexes as the rules about them see them: those of a
/// project table, or those a domain puts on an external table.
pub struct TableParts<'a> {
    pub subject: Subject,
    pub name: &'a crate::ir::QName,
    /// Where `lint --fix` finds the table in the TOML: `("tables", name)` or `("on", key)`.
    pub toml: (&'static str, &'a str),
    pub policies: &'a [crate::ir::Policy],
    pub indexes: &'a [crate::ir::Index],
    pub sensitive: bool,
}

impl TableParts<'_> {
    /// How messages name the table: a project table by its name, an external one with
    /// its schema (`storage.objects`).
    pub fn display(&self) -> String {
        match self.subject {
            Subject::OnExternal(_) => self.name.to_string(),
            _ => self.name.name.clone(),
        }
    }
}

/// Every [`TableParts`]: the project tables, then the objects on external tables.
pub fn table_parts(ir: &Ir) -> impl Iterator<Item = TableParts<'_>> {
    let tables = ir.tables.iter().enumerate().map(|(i, t)| TableParts {
        subject: Subject::Table(i),
        name: &t.name,
        toml: ("tables", t.name.name.as_str()),
        policies: &t.policies,
        indexes: &t.indexes,
        sensitive: t.sensitive,
    });
    let external = ir.on_external.iter().enumerate().map(|(i, o)| TableParts {
        subject: Subject::OnExternal(i),
        name: &o.table,
        toml: ("on", o.key.as_str()),
        policies: &o.policies,
        indexes: &o.indexes,
        sensitive: false,
    });
    tables.chain(external)
}

fn exemptions(ir: &Ir) -> Vec<(Subject, Exemption)> {
    let mut out = Vec::new();
    for (i, t) in ir.tables.iter().enumerate() {
        out.extend(t.allow.iter().map(|e| (Subject::Table(i), e.clone())));
    }
    for (i, v) in ir.views.iter().enumerate() {
        out.extend(v.allow.iter().map(|e| (Subject::View(i), e.clone())));
    }
    for (i, o) in ir.on_external.iter().enumerate() {
        out.extend(o.allow.iter().map(|e| (Subject::OnExternal(i), e.clone())));
    }
    for (i, f) in ir.functions.iter().enumerate() {
        out.extend(f.allow.iter().map(|e| (Subject::Function(i), e.clone())));
    }
    out
}

/// Runs every enabled rule (or only `only`, as fixtures do), applies severities and
/// exemptions, and reports problems with the lint configuration itself.
pub fn run(ir: &Ir, sources: &Sources, only: Option<&str>, diags: &mut Diagnostics) -> LintReport {
    let mut report = LintReport {
        exemptions: exemptions(ir),
        ..Default::default()
    };
    for (name, (_, loc)) in &ir.project.lint {
        if rule(name).is_none() {
            diags.push(unknown_rule(name, loc));
        }
    }
    for (_, e) in &report.exemptions {
        if rule(&e.rule).is_none() {
            diags.push(unknown_rule(&e.rule, &e.loc));
        }
    }
    let mut used: BTreeMap<(Subject, String), bool> = report
        .exemptions
        .iter()
        .map(|(s, e)| ((*s, e.rule.clone()), false))
        .collect();
    for r in RULES {
        if only.is_some_and(|o| o != r.name) {
            continue;
        }
        let level = if only.is_some() {
            r.default.max_on()
        } else {
            level_of(ir, r)
        };
        if level == Level::Off {
            continue;
        }
        let mut findings = Vec::new();
        (r.check)(ir, &mut findings);
        for f in findings {
            let f = f.narrowed(sources);
            if let Some((_, e)) = report
                .exemptions
                .iter()
                .find(|(s, e)| *s == f.subject && e.rule == f.rule)
            {
                used.insert((f.subject, f.rule.to_string()), true);
                report.exempted.push((f, e.clone()));
                continue;
            }
            let sev = if level == Level::Error {
                Severity::Error
            } else {
                Severity::Warning
            };
            diags.push(f.diagnostic(sev));
            report.active.push((f, sev));
        }
    }
    if only.is_none() {
        for (s, e) in &report.exemptions {
            let enabled = rule(&e.rule).is_some_and(|r| level_of(ir, r) != Level::Off);
            if enabled && used.get(&(*s, e.rule.clone())) == Some(&false) {
                diags.push(
                    Diagnostic::warning(
                        "unused-exemption",
                        format!(
                            "the exemption from `{}` no longer suppresses anything",
                            e.rule
                        ),
                    )
                    .label(&e.loc, "nothing here violates this rule")
                    .help("remove the exemption, so the rule protects this object again"),
                );
            }
        }
    }
    report
}

impl Level {
    /// Rules run alone in fixtures are reported even if off by default.
    fn max_on(self) -> Level {
        if self == Level::Off {
            Level::Warn
        } else {
            self
        }
    }
}

fn unknown_rule(name: &str, loc: &Loc) -> Diagnostic {
    let help = match did_you_mean(name, RULES.iter().map(|r| r.name)) {
        Some(c) => format!("did you mean `{c}`?"),
        None => "see docs/rules/ for the rule names".to_string(),
    };
    Diagnostic::error("unknown-rule", format!("`{name}` is not a lint rule"))
        .label(loc, "unknown rule")
        .help(help)
}

/// `docs/rules/<name>.md` for every rule, and an index.
pub fn rule_docs() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut index = String::from("# Lint rules\n\nGenerated from the rules' doc comments by `schemac rule-docs docs/rules`.\n\n| Rule | Code | Default | What it checks |\n|---|---|---|---|\n");
    for r in RULES {
        let level = match r.default {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Off => "off",
        };
        index.push_str(&format!(
            "| [`{}`]({}.md) | {} | {level} | {} |\n",
            r.name,
            r.name,
            r.code,
            r.summary()
        ));
        out.insert(format!("{}.md", r.name), format!("# `{}` ({})\n\nDefault severity: **{level}**. Configure in `schemac.toml` under `[lint]`; exempt one object with `[tables.<name>.allow] {} = \"reason\"`.\n\n{}\n", r.name, r.code, r.name, r.doc()));
    }
    out.insert("README.md".into(), index);
    out
}
