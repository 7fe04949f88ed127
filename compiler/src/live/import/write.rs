//! The imported catalog as a TOML project in the layout of `schemas/`: `schemac.toml`
//! and one `domains/<domain>.toml` per table-name prefix.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::ExternalObject;
use super::read::{Catalog, Function, Raw, Table, View};

/// A single-line TOML basic string: usable as a value and as a key.
fn s(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be, quoted otherwise.
pub fn key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        s(k)
    }
}

/// A multi-line text (SQL body or query) as a TOML string: a literal block when it can
/// be one, an escaped string otherwise.
fn block(v: &str) -> String {
    let plain = !v.contains("'''")
        && !v.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        && !v.ends_with('\'');
    if plain && v.contains('\n') {
        format!("'''\n{v}'''")
    } else {
        s(v)
    }
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|i| s(i)).collect::<Vec<_>>().join(", ")
    )
}

/// The prefix of a name: the word before its first underscore.
pub fn domain_of(name: &str) -> String {
    match name.split_once('_') {
        Some((p, _))
            if !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && p.as_bytes()[0].is_ascii_lowercase() =>
        {
            p.to_string()
        }
        _ => "core".to_string(),
    }
}

/// Files of the project: relative path to text.
/// Where domains were merged (because they depend on each other): domain to the one it
/// joined.
pub type Merged = BTreeMap<String, String>;

/// The domain of an object: its prefix when at least two tables share it, else `core`;
/// then wherever that domain was merged.
fn merged_domain(
    name: &str,
    prefixes: &std::collections::BTreeSet<String>,
    merged: &Merged,
) -> String {
    let mut d = domain_of(name);
    if !prefixes.contains(&d) {
        d = "core".to_string();
    }
    while let Some(into) = merged.get(&d) {
        if *into == d {
            break;
        }
        d = into.clone();
    }
    d
}

pub fn project(
    cat: &Catalog,
    default_schema: &str,
    lint: &BTreeMap<String, String>,
    allow: &BTreeMap<(String, String), Vec<(String, String)>>,
    merged: &Merged,
) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut p = String::new();
    let _ = writeln!(
        p,
        "# Imported by `schemac import` from database {}. Review it, then build.\n",
        s(&cat.database)
    );
    let _ = writeln!(
        p,
        "[project]\nname = {}\npostgres = {}\ndefault_schema = {}",
        s(&cat.database),
        cat.server_major.max(15),
        s(default_schema)
    );
    if cat.supabase {
        let _ = writeln!(p, "platform = \"supabase\"");
    }
    for (name, schema, version) in &cat.extensions {
        let _ = writeln!(p, "\n[extensions.{}]", key(name));
        let _ = writeln!(
            p,
            "schema = {}  # version {} in the database",
            s(schema),
            crate::emit::comment_text(version)
        );
        // What the project may use of an extension schemac does not know.
        if let Some(m) = cat.extension_members.get(name) {
            let functions: Vec<String> = m.functions.keys().cloned().collect();
            for (k, v) in [
                ("types", m.types.iter().cloned().collect::<Vec<_>>()),
                ("functions", functions),
                ("opclasses", m.opclasses.iter().cloned().collect()),
                ("methods", m.methods.iter().cloned().collect()),
            ] {
                if !v.is_empty() {
                    let _ = writeln!(p, "{k} = {}", list(&v));
                }
            }
        }
    }
    for r in &cat.roles {
        let _ = writeln!(p, "\n[roles.{}]", key(r));
    }
    if !cat.external_schemas.is_empty()
        || !cat.external_functions.is_empty()
        || !cat.external_tables.is_empty()
    {
        let schemas: Vec<String> = cat.external_schemas.iter().cloned().collect();
        let functions: Vec<String> = cat.external_functions.iter().cloned().collect();
        let _ = writeln!(
            p,
            "\n[external]\nschemas = {}\nfunctions = {}",
            list(&schemas),
            list(&functions)
        );
        for (t, cols) in &cat.external_tables {
            let _ = writeln!(p, "\n[external.tables.{}]", s(t));
            for (c, ty) in cols {
                let _ = writeln!(p, "{} = {}", key(c), s(ty));
            }
        }
    }
    if !lint.is_empty() {
        let _ = writeln!(p, "\n# Naming rules the imported names do not follow yet: warnings until they are renamed.\n[lint]");
        for (rule, level) in lint {
            let _ = writeln!(p, "{} = {}", key(rule), s(level));
        }
    }
    files.insert("schemac.toml".to_string(), p);

    // Domain of every object.
    let mut domains: BTreeMap<String, String> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for t in &cat.tables {
        *counts.entry(domain_of(&t.name)).or_default() += 1;
    }
    let prefixes: std::collections::BTreeSet<String> = counts
        .into_iter()
        .filter(|(_, n)| *n >= 2)
        .map(|(p, _)| p)
        .collect();
    let mut push = |d: String, body: String| {
        let f = domains
            .entry(d.clone())
            .or_insert_with(|| format!("[domain]\nname = {}\n", s(&d)));
        f.push('\n');
        f.push_str(&body);
    };
    for e in &cat.enums {
        let mut b = format!("[enums.{}]\nvalues = {}\n", key(&e.name), list(&e.values));
        if e.schema != default_schema {
            let _ = writeln!(b, "schema = {}", s(&e.schema));
        }
        if let Some(c) = &e.comment {
            let _ = writeln!(b, "comment = {}", s(c));
        }
        push(merged_domain(&e.name, &prefixes, merged), b);
    }
    for t in &cat.tables {
        push(
            merged_domain(&t.name, &prefixes, merged),
            table(
                t,
                default_schema,
                allow.get(&("tables".into(), t.name.clone())),
            ),
        );
    }
    for v in &cat.views {
        push(
            merged_domain(&v.name, &prefixes, merged),
            view(
                v,
                default_schema,
                allow.get(&("views".into(), v.name.clone())),
            ),
        );
    }
    for f in &cat.functions {
        push(
            merged_domain(&f.name, &prefixes, merged),
            function(
                f,
                default_schema,
                allow.get(&("functions".into(), f.name.clone())),
            ),
        );
    }
    // Objects on external tables, one block per domain and table, with its exemptions.
    let mut on: BTreeMap<(String, &str), String> = BTreeMap::new();
    for o in &cat.on_external {
        let d = merged_domain(&o.owner, &prefixes, merged);
        let b = on.entry((d, o.table.as_str())).or_default();
        let h = format!("on.{}", s(&o.table));
        match &o.object {
            ExternalObject::Trigger(tr) => trigger(b, &h, tr, default_schema),
            ExternalObject::Policy(p) => policy(b, &h, p),
        }
    }
    for ((d, table), mut b) in on {
        let h = format!("on.{}", s(table));
        allow_section(&mut b, &h, allow.get(&("on".into(), table.to_string())));
        push(d, b.trim_start().to_string());
    }
    for r in &cat.raws {
        push(merged_domain(&r.owner, &prefixes, merged), raw(r));
    }
    for (d, text) in domains {
        files.insert(format!("domains/{d}.toml"), text);
    }
    files
}

fn allow_section(b: &mut String, header: &str, allow: Option<&Vec<(String, String)>>) {
    if let Some(items) = allow {
        let _ = writeln!(b, "\n[{header}.allow]");
        for (rule, reason) in items {
            let _ = writeln!(b, "{} = {}", key(rule), s(reason));
        }
    }
}

fn table(t: &Table, ds: &str, allow: Option<&Vec<(String, String)>>) -> String {
    let h = format!("tables.{}", key(&t.name));
    let mut b = format!("[{h}]\n");
    if t.schema != ds {
        let _ = writeln!(b, "schema = {}", s(&t.schema));
    }
    if let Some(c) = &t.comment {
        let _ = writeln!(b, "description = {}", s(c));
    }
    if !t.rls {
        let _ = writeln!(
            b,
            "rls = false\nrls_reason = \"Imported: row-level security is off in the database\""
        );
    }
    // FORCE without RLS on does nothing; the language refuses it, so it is left out.
    if t.force_rls && t.rls {
        let _ = writeln!(b, "force_rls = true");
    }
    if let Some((name, cols)) = &t.primary_key {
        let _ = writeln!(
            b,
            "primary_key = {{ columns = {}, name = {} }}",
            list(cols),
            s(name)
        );
    }
    let _ = writeln!(b, "\n[{h}.columns]");
    for c in &t.columns {
        let mut parts = vec![format!("type = {}", s(&c.ty))];
        if c.not_null
            && !t
                .primary_key
                .as_ref()
                .is_some_and(|(_, cols)| cols.contains(&c.name))
        {
            parts.push("not_null = true".into());
        }
        if let Some(d) = &c.default {
            parts.push(format!("default = {}", s(d)));
        }
        if let Some(i) = c.identity {
            parts.push(format!("identity = \"{i}\""));
        }
        if let Some(g) = &c.generated {
            parts.push(format!("generated = {}", s(g)));
        }
        if let Some(cm) = &c.comment {
            parts.push(format!("comment = {}", s(cm)));
        }
        let _ = writeln!(b, "{} = {{ {} }}", key(&c.name), parts.join(", "));
    }
    for (name, cols, nnd) in &t.uniques {
        let _ = writeln!(
            b,
            "\n[[{h}.unique]]\ncolumns = {}\nname = {}",
            list(cols),
            s(name)
        );
        if *nnd {
            let _ = writeln!(b, "nulls_not_distinct = true");
        }
    }
    for (name, expr) in &t.checks {
        let _ = writeln!(b, "\n[{h}.checks.{}]\nexpression = {}", key(name), s(expr));
    }
    for fk in &t.foreign_keys {
        let _ = writeln!(
            b,
            "\n[[{h}.foreign_keys]]\nname = {}\ncolumns = {}\nreferences = {}\nreferenced_columns = {}",
            s(&fk.name),
            list(&fk.columns),
            s(&fk.target),
            list(&fk.target_columns)
        );
        if fk.on_delete != "no_action" {
            let _ = writeln!(b, "on_delete = \"{}\"", fk.on_delete);
        }
        if fk.on_update != "no_action" {
            let _ = writeln!(b, "on_update = \"{}\"", fk.on_update);
        }
        if let Some(d) = fk.deferrable {
            let _ = writeln!(b, "deferrable = \"{d}\"");
        }
    }
    for ix in &t.indexes {
        let _ = writeln!(b, "\n[[{h}.indexes]]\nname = {}", s(&ix.name));
        if !ix.columns.is_empty() {
            let _ = writeln!(b, "columns = {}", list(&ix.columns));
        }
        if !ix.expressions.is_empty() {
            let _ = writeln!(b, "expressions = {}", list(&ix.expressions));
        }
        if ix.unique {
            let _ = writeln!(b, "unique = true");
        }
        if ix.method != "btree" {
            let _ = writeln!(b, "method = {}", s(&ix.method));
        }
        if !ix.include.is_empty() {
            let _ = writeln!(b, "include = {}", list(&ix.include));
        }
        if !ix.parameters.is_empty() {
            let params: Vec<String> = ix
                .parameters
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), parameter(v)))
                .collect();
            let _ = writeln!(b, "with = {{ {} }}", params.join(", "));
        }
        if let Some(p) = &ix.predicate {
            let _ = writeln!(b, "where = {}", s(p));
        }
    }
    for p in &t.policies {
        policy(&mut b, &h, p);
    }
    if !t.grants.is_empty() {
        let _ = writeln!(b, "\n[{h}.grants]");
        for (role, privs) in &t.grants {
            let _ = writeln!(b, "{} = {}", key(role), list(privs));
        }
    }
    for tr in &t.triggers {
        trigger(&mut b, &h, tr, ds);
    }
    allow_section(&mut b, &h, allow);
    b
}

/// `[<h>.policies.<name>]`, where `h` is the table's header.
fn policy(b: &mut String, h: &str, p: &super::model::Policy) {
    let _ = writeln!(
        b,
        "\n[{h}.policies.{}]\ncommand = \"{}\"",
        key(&p.name),
        p.command
    );
    if !p.roles.is_empty() {
        let _ = writeln!(b, "roles = {}", list(&p.roles));
    }
    if !p.permissive {
        let _ = writeln!(b, "permissive = false");
    }
    if let Some(u) = &p.using {
        let _ = writeln!(b, "using = {}", s(u));
    }
    if let Some(w) = &p.with_check {
        let _ = writeln!(b, "with_check = {}", s(w));
    }
    if let Some(c) = &p.comment {
        let _ = writeln!(b, "comment = {}", s(c));
    }
}

/// `[<h>.triggers.<name>]`, where `h` is the table's header.
fn trigger(b: &mut String, h: &str, tr: &super::model::Trigger, ds: &str) {
    let function = match tr.function.split_once('.') {
        Some((schema, name)) if schema == ds => name.to_string(),
        _ => tr.function.clone(),
    };
    let events: Vec<String> = tr.events.iter().map(|e| e.to_string()).collect();
    let _ = writeln!(
        b,
        "\n[{h}.triggers.{}]\ntiming = \"{}\"\nevents = {}\nfor_each = \"{}\"\nfunction = {}",
        key(&tr.name),
        tr.timing,
        list(&events),
        if tr.for_each_row { "row" } else { "statement" },
        s(&function)
    );
    if let Some(c) = &tr.condition {
        let _ = writeln!(b, "when = {}", s(c));
    }
}

fn view(v: &View, ds: &str, allow: Option<&Vec<(String, String)>>) -> String {
    let h = format!("views.{}", key(&v.name));
    let mut b = format!("[{h}]\nquery = {}\n", block(&v.query));
    if v.materialized {
        let _ = writeln!(b, "materialized = true");
    }
    if v.security_invoker {
        let _ = writeln!(b, "security_invoker = true");
    }
    if v.security_barrier {
        let _ = writeln!(b, "security_barrier = true");
    }
    if let Some(c) = &v.check_option {
        let _ = writeln!(b, "check_option = {}", s(c));
    }
    if v.schema != ds {
        let _ = writeln!(b, "schema = {}", s(&v.schema));
    }
    if let Some(c) = &v.comment {
        let _ = writeln!(b, "comment = {}", s(c));
    }
    if !v.grants.is_empty() {
        let _ = writeln!(b, "\n[{h}.grants]");
        for (role, privs) in &v.grants {
            let _ = writeln!(b, "{} = {}", key(role), list(privs));
        }
    }
    allow_section(&mut b, &h, allow);
    b
}

fn function(f: &Function, ds: &str, allow: Option<&Vec<(String, String)>>) -> String {
    let h = format!("functions.{}", key(&f.name));
    let mut b = format!("[{h}]\n");
    if !f.arguments.is_empty() {
        let args: Vec<String> = f
            .arguments
            .iter()
            .map(|(n, t, d)| match d {
                Some(d) => format!("{{ name = {}, type = {}, default = {} }}", s(n), s(t), s(d)),
                None => format!("{{ name = {}, type = {} }}", s(n), s(t)),
            })
            .collect();
        let _ = writeln!(b, "arguments = [{}]", args.join(", "));
    }
    let _ = writeln!(
        b,
        "returns = {}\nlanguage = {}\nvolatility = \"{}\"",
        s(&f.returns),
        s(&f.language),
        f.volatility
    );
    if f.security_definer {
        let _ = writeln!(b, "security_definer = true");
    }
    if let Some(sp) = &f.search_path {
        let _ = writeln!(b, "search_path = {}", s(sp));
    }
    if f.schema != ds {
        let _ = writeln!(b, "schema = {}", s(&f.schema));
    }
    if let Some(c) = &f.comment {
        let _ = writeln!(b, "comment = {}", s(c));
    }
    if !f.execute.is_empty() {
        let _ = writeln!(b, "grant_execute = {}", list(&f.execute));
    }
    let body = f.body.trim_matches('\n');
    let _ = writeln!(b, "body = {}", block(&format!("{body}\n")));
    allow_section(&mut b, &h, allow);
    b
}

fn raw(r: &Raw) -> String {
    let mut b = format!(
        "[raw.{}]\nsql = {}\nreason = {}\n",
        key(&r.name),
        block(&format!("{}\n", r.sql.trim())),
        s(&format!("Imported: {}", r.why))
    );
    if !r.depends_on.is_empty() {
        let _ = writeln!(b, "depends_on = {}", list(&r.depends_on));
    }
    if !r.creates.is_empty() {
        let _ = writeln!(b, "\n[raw.{}.creates]", key(&r.name));
        for kind in ["relations", "functions", "triggers"] {
            let names: Vec<String> = r
                .creates
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, n)| n.clone())
                .collect();
            if !names.is_empty() {
                let _ = writeln!(b, "{kind} = {}", list(&names));
            }
        }
    }
    b
}

/// A storage parameter's value as TOML: a number or boolean as such, anything else a
/// string.
fn parameter(v: &str) -> String {
    let number =
        v.parse::<i64>().is_ok() || (v.contains('.') && v.parse::<f64>().is_ok_and(f64::is_finite));
    if v == "true" || v == "false" || number {
        v.to_string()
    } else {
        s(v)
    }
}
