//! Mechanical fixes, applied to the TOML with toml_edit so comments and formatting
//! survive. Renaming a table also rewrites references to it and declares the rename,
//! so the migration keeps the data instead of dropping the table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Key, Table, Value};

use crate::diag::{FileId, Sources};

/// A change to the TOML that resolves a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Rename table `from` to `to` (in `schema`), update references, declare the rename.
    RenameTable {
        file: FileId,
        schema: String,
        from: String,
        to: String,
        reason: String,
    },
    /// Replace a policy's `using` or `with_check`.
    SetPolicyExpression {
        file: FileId,
        /// `tables` or `on`.
        section: &'static str,
        table: String,
        policy: String,
        key: &'static str,
        text: String,
    },
}

/// Where a source file is on disk: display paths start with the project directory's name.
fn real_path(project_dir: &Path, display: &str) -> PathBuf {
    let rest = display.split_once('/').map(|(_, r)| r).unwrap_or(display);
    project_dir.join(rest)
}

/// Replaces whole-word occurrences of `old` in SQL text (outside string literals).
pub fn rename_in_sql(text: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < text.len() {
        let c = bytes[i];
        if c == b'\'' {
            in_string = !in_string;
        }
        let boundary_before =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !in_string && boundary_before && text[i..].starts_with(old) {
            let end = i + old.len();
            let boundary_after =
                end >= bytes.len() || !(bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_');
            if boundary_after {
                out.push_str(new);
                i = end;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn set_str(item: &mut Item, new: String) {
    if let Some(v) = item.as_value_mut() {
        let decor = v.decor().clone();
        let mut nv = Value::from(new);
        *nv.decor_mut() = decor;
        *v = nv;
    }
}

fn map_strings(item: &mut Item, f: &dyn Fn(&str) -> Option<String>) {
    if let Some(s) = item.as_str() {
        if let Some(n) = f(s) {
            set_str(item, n);
        }
    }
}

/// Rewrites every reference to table `old` in one domain document.
fn rename_references(doc: &mut DocumentMut, old: &str, new: &str) {
    let sql = |s: &str| {
        let r = rename_in_sql(s, old, new);
        (r != s).then_some(r)
    };
    let reference = |s: &str| {
        let (t, c) = s.rsplit_once('.')?;
        (t == old).then(|| format!("{new}.{c}"))
    };
    let exact = |s: &str| (s == old).then(|| new.to_string());
    if let Some(tables) = doc.get_mut("tables").and_then(Item::as_table_like_mut) {
        for (_, t) in tables.iter_mut() {
            let Some(t) = t.as_table_like_mut() else {
                continue;
            };
            if let Some(cols) = t.get_mut("columns").and_then(Item::as_table_like_mut) {
                for (_, c) in cols.iter_mut() {
                    let Some(c) = c.as_table_like_mut() else {
                        continue;
                    };
                    for k in ["references"] {
                        if let Some(i) = c.get_mut(k) {
                            map_strings(i, &reference);
                        }
                    }
                    for k in ["default", "check", "generated"] {
                        if let Some(i) = c.get_mut(k) {
                            map_strings(i, &sql);
                        }
                    }
                }
            }
            if let Some(fks) = t
                .get_mut("foreign_keys")
                .and_then(Item::as_array_of_tables_mut)
            {
                for fk in fks.iter_mut() {
                    if let Some(i) = fk.get_mut("references") {
                        map_strings(i, &exact);
                    }
                }
            }
            if let Some(pols) = t.get_mut("policies").and_then(Item::as_table_like_mut) {
                for (_, p) in pols.iter_mut() {
                    if let Some(p) = p.as_table_like_mut() {
                        for k in ["using", "with_check"] {
                            if let Some(i) = p.get_mut(k) {
                                map_strings(i, &sql);
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(views) = doc.get_mut("views").and_then(Item::as_table_like_mut) {
        for (_, v) in views.iter_mut() {
            if let Some(i) = v.as_table_like_mut().and_then(|v| v.get_mut("query")) {
                map_strings(i, &sql);
            }
        }
    }
    if let Some(funcs) = doc.get_mut("functions").and_then(Item::as_table_like_mut) {
        for (_, f) in funcs.iter_mut() {
            if let Some(f) = f.as_table_like_mut() {
                if f.get("language").and_then(Item::as_str) == Some("sql") {
                    if let Some(i) = f.get_mut("body") {
                        map_strings(i, &sql);
                    }
                }
            }
        }
    }
    if let Some(raws) = doc.get_mut("raw").and_then(Item::as_table_like_mut) {
        for (_, r) in raws.iter_mut() {
            if let Some(deps) = r
                .as_table_like_mut()
                .and_then(|r| r.get_mut("depends_on"))
                .and_then(Item::as_array_mut)
            {
                for v in deps.iter_mut() {
                    if v.as_str() == Some(old) {
                        let decor = v.decor().clone();
                        *v = Value::from(new);
                        *v.decor_mut() = decor;
                    }
                }
            }
        }
    }
}

/// Applies fixes to the project's files; returns the display paths it changed.
pub fn apply(project_dir: &Path, sources: &Sources, fixes: &[Fix]) -> Result<Vec<String>, String> {
    let mut docs: BTreeMap<String, DocumentMut> = BTreeMap::new();
    let domain_files: Vec<String> = sources
        .iter()
        .map(|(_, f)| f.path.clone())
        .filter(|p| p.contains("/domains/"))
        .collect();
    let load = |docs: &mut BTreeMap<String, DocumentMut>, path: &str| -> Result<(), String> {
        if !docs.contains_key(path) {
            let text = std::fs::read_to_string(real_path(project_dir, path))
                .map_err(|e| format!("cannot read {path}: {e}"))?;
            docs.insert(
                path.to_string(),
                text.parse::<DocumentMut>()
                    .map_err(|e| format!("cannot parse {path}: {e}"))?,
            );
        }
        Ok(())
    };
    let mut renamed: Vec<&str> = Vec::new();
    for fix in fixes {
        match fix {
            // One rename per table per run; a second fix for the same table (prefix and
            // plural, say) is offered again by the next run, on the new name.
            Fix::RenameTable { from, .. } if renamed.contains(&from.as_str()) => continue,
            Fix::RenameTable {
                file,
                schema: _,
                from,
                to,
                reason,
            } => {
                renamed.push(from);
                let path = sources.get(*file).path.clone();
                for p in &domain_files {
                    load(&mut docs, p)?;
                    rename_references(
                        docs.get_mut(p)
                            .unwrap_or_else(|| unreachable!("loaded above")),
                        from,
                        to,
                    );
                }
                let doc = docs
                    .get_mut(&path)
                    .ok_or_else(|| format!("{path} is not a domain file"))?;
                let tables = doc
                    .get_mut("tables")
                    .and_then(Item::as_table_mut)
                    .ok_or("no [tables]")?;
                let (key, mut item) = tables
                    .remove_entry(from)
                    .ok_or_else(|| format!("table `{from}` not found in {path}"))?;
                rename_named_after(&mut item, from, to);
                let new_key = Key::new(to.clone()).with_leaf_decor(key.leaf_decor().clone());
                tables.insert_formatted(&new_key, item);
                // Record the rename so the migration renames instead of dropping.
                let renames = doc
                    .entry("renames")
                    .or_insert_with(|| Item::Table(implicit()))
                    .as_table_mut()
                    .ok_or("`renames` is not a table")?;
                renames.set_implicit(true);
                let rt = renames
                    .entry("tables")
                    .or_insert_with(|| Item::Table(implicit()))
                    .as_table_mut()
                    .ok_or("`renames.tables` is not a table")?;
                rt.set_implicit(true);
                let mut entry = Table::new();
                entry.insert("to", toml_edit::value(to.clone()));
                entry.insert("reason", toml_edit::value(reason.clone()));
                rt.insert(from, Item::Table(entry));
            }
            Fix::SetPolicyExpression {
                file,
                section,
                table,
                policy,
                key,
                text,
            } => {
                let path = sources.get(*file).path.clone();
                load(&mut docs, &path)?;
                let doc = docs
                    .get_mut(&path)
                    .unwrap_or_else(|| unreachable!("loaded above"));
                let item = doc
                    .get_mut(section)
                    .and_then(|t| t.get_mut(table.as_str()))
                    .and_then(|t| t.get_mut("policies"))
                    .and_then(|p| p.get_mut(policy.as_str()))
                    .and_then(|p| p.get_mut(*key))
                    .ok_or_else(|| format!("policy `{policy}` of `{table}` not found in {path}"))?;
                set_str(item, text.clone());
            }
        }
    }
    let mut changed = Vec::new();
    for (path, doc) in docs {
        let real = real_path(project_dir, &path);
        let new = doc.to_string();
        if std::fs::read_to_string(&real).ok().as_deref() != Some(new.as_str()) {
            let tmp = real.with_extension("toml.schemac.tmp");
            std::fs::write(&tmp, &new).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &real).map_err(|e| e.to_string())?;
            changed.push(path);
        }
    }
    Ok(changed)
}

/// Objects named after the table follow it: policy and trigger keys and explicit
/// index, key and constraint names containing the old table name.
fn rename_named_after(table: &mut Item, old: &str, new: &str) {
    let rename = |name: &str| -> Option<String> {
        if let Some(rest) = name.strip_prefix(&format!("{old}_")) {
            return Some(format!("{new}_{rest}"));
        }
        let needle = format!("_{old}_");
        if name.contains(&needle) {
            return Some(name.replacen(&needle, &format!("_{new}_"), 1));
        }
        name.strip_suffix(&format!("_{old}"))
            .map(|head| format!("{head}_{new}"))
    };
    let Some(t) = table.as_table_like_mut() else {
        return;
    };
    for section in ["policies", "triggers", "checks"] {
        let Some(map) = t.get_mut(section).and_then(Item::as_table_mut) else {
            continue;
        };
        let keys: Vec<String> = map.iter().map(|(k, _)| k.to_string()).collect();
        for k in keys {
            if let Some(n) = rename(&k) {
                if let Some((key, item)) = map.remove_entry(&k) {
                    map.insert_formatted(
                        &Key::new(n).with_leaf_decor(key.leaf_decor().clone()),
                        item,
                    );
                }
            }
        }
    }
    for section in ["indexes", "unique", "foreign_keys"] {
        let Some(arr) = t.get_mut(section).and_then(Item::as_array_of_tables_mut) else {
            continue;
        };
        for entry in arr.iter_mut() {
            if let Some(item) = entry.get_mut("name") {
                map_strings(item, &rename);
            }
        }
    }
}

fn implicit() -> Table {
    let mut t = Table::new();
    t.set_implicit(true);
    t
}

#[cfg(test)]
mod tests {
    use super::rename_in_sql;

    #[test]
    fn renames_whole_words_outside_strings() {
        assert_eq!(
            rename_in_sql(
                "select * from leads l join lead_notes n on n.x = 'leads'",
                "leads",
                "crm_leads"
            ),
            "select * from crm_leads l join lead_notes n on n.x = 'leads'"
        );
    }
}
