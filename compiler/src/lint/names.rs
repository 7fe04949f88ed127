//! Naming judgments shared by the naming rules, the renames' `to` names, and tests
//! that judge names outside a project (the naming standard's old and new table names).

use crate::ir::{DomainId, Ir};

/// Why a table name breaks a naming rule, and a better name when there is a
/// mechanical one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameVerdict {
    pub rule: &'static str,
    pub message: String,
    pub help: String,
    pub suggestion: Option<String>,
}

/// The words of a snake_case name.
fn last_word(name: &str) -> &str {
    name.rsplit('_').next().unwrap_or(name)
}

/// Whether a word is plural (or a project-accepted singular/uncountable word).
pub fn is_plural(ir: &Ir, word: &str) -> bool {
    if ir
        .project
        .naming
        .singular_words
        .iter()
        .any(|(w, _)| w == word)
    {
        return true;
    }
    pluralizer::pluralize(word, 2, false) == word
}

pub fn pluralize(word: &str) -> String {
    pluralizer::pluralize(word, 2, false)
}

pub fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !name.contains("__")
        && !name.ends_with('_')
}

pub fn is_valid_module_short_id(id: &str) -> bool {
    id.len() == 8 && id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

fn other_domain_prefix<'a>(ir: &'a Ir, domain: DomainId, name: &str) -> Option<(&'a str, &'a str)> {
    ir.domains
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != domain.0)
        .filter_map(|(_, d)| {
            d.prefix
                .as_ref()
                .map(|(p, _)| (p.as_str(), d.name.as_str()))
        })
        .filter(|(p, _)| !p.is_empty() && name.starts_with(p))
        .max_by_key(|(p, _)| p.len())
}

/// `table-missing-domain-prefix` and `table-prefix-of-other-domain`.
pub fn prefix_verdict(ir: &Ir, domain: DomainId, name: &str) -> Option<NameVerdict> {
    let d = ir.domain(domain);
    let (prefix, _) = d.prefix.as_ref()?;
    if prefix.is_empty() || name.starts_with(prefix.as_str()) {
        return None;
    }
    if let Some((other, other_domain)) = other_domain_prefix(ir, domain, name) {
        return Some(NameVerdict {
            rule: "table-prefix-of-other-domain",
            message: format!("`{name}` carries the prefix `{other}` of domain `{other_domain}` but is declared in domain `{}`", d.name),
            help: format!("move `{name}` to `domains/{other_domain}.toml`, or rename it to `{prefix}{}`", name.strip_prefix(other).unwrap_or(name)),
            suggestion: None,
        });
    }
    let suggestion = format!("{prefix}{name}");
    Some(NameVerdict {
        rule: "table-missing-domain-prefix",
        message: format!(
            "`{name}` is in domain `{}` but does not start with its prefix `{prefix}`",
            d.name
        ),
        help: format!(
            "rename it to `{suggestion}` (`schemac lint --fix` does, and declares the rename)"
        ),
        suggestion: Some(suggestion),
    })
}

pub fn plural_verdict(ir: &Ir, name: &str) -> Option<NameVerdict> {
    let word = last_word(name);
    if word.is_empty() || !word.chars().all(|c| c.is_ascii_lowercase()) || is_plural(ir, word) {
        return None;
    }
    let plural = pluralize(word);
    let suggestion = format!("{}{plural}", &name[..name.len() - word.len()]);
    Some(NameVerdict {
        rule: "table-not-plural",
        message: format!("the last word of `{name}`, `{word}`, is not a plural noun"),
        help: format!("rename it to `{suggestion}`, or add \"{word}\" to `[naming] singular_words` if it is uncountable"),
        suggestion: Some(suggestion),
    })
}

pub fn generic_verdict(ir: &Ir, name: &str) -> Option<NameVerdict> {
    ir.project.naming.generic_names.iter().any(|(g, _)| g == name).then(|| NameVerdict {
        rule: "generic-table-name",
        message: format!("`{name}` says nothing about who owns the data"),
        help: "name it after its domain and what it holds, e.g. `comms_messages` rather than `messages`".into(),
        suggestion: None,
    })
}

pub fn reserved_verdict(ir: &Ir, name: &str) -> Option<NameVerdict> {
    let cat = ir
        .project
        .reserved
        .iter()
        .find(|c| c.names.iter().any(|(n, _)| n == name))?;
    Some(NameVerdict {
        rule: "reserved-name",
        message: format!(
            "`{name}` is reserved (category `{}`: {})",
            cat.name, cat.reason
        ),
        help: "choose another name; reserved names belong to the platform".into(),
        suggestion: None,
    })
}

pub fn module_verdict(schema: &str, name: &str) -> Option<NameVerdict> {
    if let Some(rest) = schema.strip_prefix("mod_") {
        if !is_valid_module_short_id(rest) {
            return Some(NameVerdict {
                rule: "module-table-name",
                message: format!("module schema `{schema}` does not end in an 8-character lowercase hex module id"),
                help: "name module schemas `mod_<8 lowercase hex>`, e.g. `mod_a1b2c3d4`".into(),
                suggestion: None,
            });
        }
        return None;
    }
    let rest = name.strip_prefix("mod_")?;
    let (id, table) = rest.split_once('_').unwrap_or((rest, ""));
    if is_valid_module_short_id(id) && !table.is_empty() {
        return None;
    }
    Some(NameVerdict {
        rule: "module-table-name",
        message: format!("module table `{name}` does not follow `mod_<8 lowercase hex>_<name>`"),
        help: "name module tables `mod_<short id>_<name>` (e.g. `mod_a1b2c3d4_contacts`) or put them in schema `mod_<short id>`".into(),
        suggestion: None,
    })
}

pub fn snake_case_verdict(what: &str, name: &str) -> Option<NameVerdict> {
    (!is_snake_case(name)).then(|| NameVerdict {
        rule: "identifier-not-snake-case",
        message: format!("{what} name `{name}` is not snake_case"),
        help: format!(
            "use lower-case letters, digits and single underscores, e.g. `{}`",
            to_snake(name)
        ),
        suggestion: None,
    })
}

pub fn to_snake(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && !s.is_empty() && !s.ends_with('_') {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    s.trim_end_matches('_').to_string()
}

/// Every naming verdict for a table name in a domain (used for renames' names too).
pub fn judge_table_name(ir: &Ir, domain: DomainId, schema: &str, name: &str) -> Vec<NameVerdict> {
    [
        prefix_verdict(ir, domain, name),
        plural_verdict(ir, name),
        generic_verdict(ir, name),
        reserved_verdict(ir, name),
        module_verdict(schema, name),
        snake_case_verdict("table", name),
    ]
    .into_iter()
    .flatten()
    .collect()
}

use super::fix::Fix;
use super::{Finding, Subject};

/// Applies one naming judgment to every table, and to the `to` of every rename that
/// is not itself a declared table (an intermediate name of a rename chain).
pub(super) fn check_table_names(
    ir: &Ir,
    out: &mut Vec<Finding>,
    rule: &'static str,
    judge: impl Fn(&Ir, DomainId, &str, &str) -> Option<NameVerdict>,
) {
    // Looked up once per table and per rename: a set, not a scan of every table.
    let declared: std::collections::BTreeSet<&crate::ir::QName> =
        ir.tables.iter().map(|t| &t.name).collect();
    for (i, t) in ir.tables.iter().enumerate() {
        if let Some(v) = judge(ir, t.domain, &t.name.schema, &t.name.name) {
            debug_assert_eq!(v.rule, rule);
            let mut f = Finding::new(
                rule,
                Subject::Table(i),
                v.message,
                &t.loc,
                "table name",
                v.help,
            );
            if let Some(s) = v.suggestion {
                if !declared.contains(&crate::ir::QName::new(t.name.schema.clone(), s.clone())) {
                    f = f.with_fix(Fix::RenameTable {
                        file: t.loc.file,
                        schema: t.name.schema.clone(),
                        from: t.name.name.clone(),
                        to: s,
                        reason: format!("{rule} (applied by schemac lint --fix)"),
                    });
                }
            }
            out.push(f);
        }
    }
    for r in &ir.table_renames {
        if declared.contains(&r.to) {
            continue;
        }
        if let Some(v) = judge(ir, r.domain, &r.to.schema, &r.to.name) {
            out.push(Finding::new(
                rule,
                Subject::Project,
                format!("rename target: {}", v.message),
                &r.to_loc,
                "renamed to this name",
                v.help,
            ));
        }
    }
}
