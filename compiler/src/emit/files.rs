//! The files `schemac build` writes: `schema.sql`, and one forward and one rollback
//! file per domain, in dependency order.

use std::collections::{BTreeMap, BTreeSet};

use super::ddl::*;
use super::on_external::{create_on_external, drop_on_external};
use super::quote::{begin_transaction, comment_text, lock_guard, quote_ident, squawk_ignore};
use crate::diag::Sources;
use crate::ir::{DomainId, Ir};
use crate::plan::{Node, Plan};

/// Generated files: path relative to the output directory, to content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub files: BTreeMap<String, String>,
}

/// Statements that create one plan node, with a one-line heading for reviewers.
fn create_node(ir: &Ir, plan: &Plan, node: Node) -> (String, Vec<String>) {
    match node {
        Node::Enum(i) => (
            format!("enum {}", ir.enums[i].name),
            create_enum(&ir.enums[i]),
        ),
        Node::Table(i) => {
            let t = &ir.tables[i];
            let deferred = |k: usize| plan.deferred_fks.contains(&(i, k));
            let mut v = vec![create_table(t, &deferred)];
            v.extend(table_extras(t, ir.project.platform));
            let rls = if t.rls {
                String::new()
            } else {
                format!(" (no RLS: {})", t.rls_reason.as_deref().unwrap_or(""))
            };
            (format!("table {}{rls}", t.name), v)
        }
        Node::DeferredFk { table, fk } => {
            let t = &ir.tables[table];
            (
                format!(
                    "foreign key {} on {} (added after both tables: they reference each other)",
                    t.foreign_keys[fk].name, t.name
                ),
                vec![add_foreign_key(&t.name, &t.foreign_keys[fk])],
            )
        }
        Node::Function(i) => (
            format!("function {}", ir.functions[i].name),
            create_function(&ir.functions[i], ir.project.platform),
        ),
        Node::View(i) => {
            let v = &ir.views[i];
            (
                format!(
                    "{} {}",
                    if v.materialized {
                        "materialized view"
                    } else {
                        "view"
                    },
                    v.name
                ),
                create_view(v, ir.project.platform),
            )
        }
        Node::Trigger { table, trigger } => {
            let t = &ir.tables[table];
            (
                format!("trigger {} on {}", t.triggers[trigger].name, t.name),
                vec![create_trigger(&t.name, &t.triggers[trigger])],
            )
        }
        Node::Policy { table, policy } => {
            let t = &ir.tables[table];
            (
                format!("policy {} on {}", t.policies[policy].name, t.name),
                create_policy(&t.name, &t.policies[policy]),
            )
        }
        Node::OnExternal(i) => {
            let o = &ir.on_external[i];
            (
                format!("objects on external table {}", o.table),
                create_on_external(o),
            )
        }
        Node::Raw(i) => (
            format!("raw SQL {}", ir.raws[i].name),
            vec![raw_block(&ir.raws[i], &ir.raws[i].sql, "forward")],
        ),
    }
}

/// `CREATE EXTENSION IF NOT EXISTS` for each declared extension, by name, each after
/// the schema it goes into. `IF NOT EXISTS`: Supabase and many servers have some already.
pub fn extension_statements(ir: &Ir) -> Vec<String> {
    let mut out = Vec::new();
    let mut schemas = BTreeSet::new();
    for (name, e) in &ir.project.extensions {
        let mut stmt = format!("CREATE EXTENSION IF NOT EXISTS {}", quote_ident(name));
        if let Some(schema) = &e.schema {
            if schemas.insert(schema) {
                out.push(format!(
                    "CREATE SCHEMA IF NOT EXISTS {};",
                    quote_ident(schema)
                ));
            }
            stmt.push_str(&format!(" WITH SCHEMA {}", quote_ident(schema)));
        }
        if let Some(v) = &e.version {
            stmt.push_str(&format!(" VERSION {}", super::quote_literal(v)));
        }
        stmt.push(';');
        out.push(stmt);
    }
    out
}

/// One object's statements in `schema.sql`, with its heading.
pub struct ObjectSql {
    pub node: Node,
    pub heading: String,
    pub statements: Vec<String>,
}

/// The statements of `schema.sql` object by object, in plan order: the schemas the
/// project creates, then each node with its heading. `schemac verify` runs them one
/// object at a time, to name the object whose SQL PostgreSQL refuses.
pub fn schema_statements(ir: &Ir, plan: &Plan) -> (Vec<String>, Vec<ObjectSql>) {
    let schemas = schemas_of(ir, &plan.order)
        .into_iter()
        .map(|s| format!("CREATE SCHEMA IF NOT EXISTS {};", quote_ident(&s)))
        .chain(extension_statements(ir))
        .collect();
    let nodes = plan
        .order
        .iter()
        .map(|&node| {
            let (heading, statements) = create_node(ir, plan, node);
            ObjectSql {
                node,
                heading,
                statements,
            }
        })
        .collect();
    (schemas, nodes)
}

/// The statement that undoes one plan node (`None` when dropping its table already does).
fn drop_node(ir: &Ir, node: Node) -> Option<String> {
    Some(match node {
        Node::Enum(i) => drop_enum(&ir.enums[i]),
        Node::Table(i) => drop_table(&ir.tables[i]),
        Node::DeferredFk { table, fk } => {
            drop_foreign_key(&ir.tables[table].name, &ir.tables[table].foreign_keys[fk])
        }
        Node::Function(i) => drop_function(&ir.functions[i]),
        Node::View(i) => drop_view(&ir.views[i]),
        Node::Trigger { table, trigger } => {
            drop_trigger(&ir.tables[table].name, &ir.tables[table].triggers[trigger])
        }
        Node::Policy { table, policy } => {
            drop_policy(&ir.tables[table].name, &ir.tables[table].policies[policy])
        }
        Node::OnExternal(i) => drop_on_external(&ir.on_external[i]).join("\n"),
        Node::Raw(i) => {
            let r = &ir.raws[i];
            match &r.rollback {
                Some(rb) => raw_block(r, rb, "rollback"),
                None => format!(
                    "-- raw SQL `{}` declares no rollback: its effects are not undone here",
                    comment_text(&r.name)
                ),
            }
        }
    })
}

/// Schemas the given nodes live in that the project must create.
fn schemas_of(ir: &Ir, nodes: &[Node]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for n in nodes {
        let s = match *n {
            Node::Enum(i) => &ir.enums[i].name.schema,
            Node::Table(i) => &ir.tables[i].name.schema,
            Node::Function(i) => &ir.functions[i].name.schema,
            Node::View(i) => &ir.views[i].name.schema,
            _ => continue,
        };
        if s != "public" && !ir.project.external_schemas.contains(s) {
            out.insert(s.clone());
        }
    }
    out
}

fn header(title: &str, ir: &Ir, files: &[String], what: &str) -> String {
    let mut h = format!("-- {title}\n-- Generated by schemac from project `{}`. Do not edit: change the TOML and run `just build`.\n", comment_text(&ir.project.name));
    h.push_str(&format!(
        "-- {what}\n-- Requires PostgreSQL {} or later.\n",
        ir.project.postgres
    ));
    h.push_str("-- Sources:\n");
    for f in files {
        h.push_str(&format!("--   {}\n", comment_text(f)));
    }
    h
}

fn section(out: &mut String, heading: &str, stmts: &[String]) {
    out.push_str("\n-- ");
    out.push_str(&comment_text(heading));
    out.push('\n');
    for s in stmts {
        if let Some(rule) = squawk_ignore(s) {
            out.push_str("-- squawk-ignore ");
            out.push_str(rule);
            out.push('\n');
        }
        out.push_str(s);
        out.push('\n');
    }
}

/// `BEGIN` with the literal settings and the project's timeouts.
fn begin(ir: &Ir) -> String {
    format!(
        "\n{}",
        begin_transaction(&ir.project.lock_timeout, &ir.project.statement_timeout)
    )
}

/// Builds every generated file of a project.
pub fn emit_project(ir: &Ir, plan: &Plan, sources: &Sources) -> Output {
    let mut out = Output::default();
    let all_files: Vec<String> = sources.iter().map(|(_, f)| f.path.clone()).collect();

    // schema.sql: the whole schema from nothing.
    let mut s = header(
        "schema.sql",
        ir,
        &all_files,
        "The whole schema, created from an empty database in dependency order.",
    );
    s.push_str(&begin(ir));
    let body_at = s.len();
    for schema in schemas_of(ir, &plan.order) {
        section(
            &mut s,
            &format!("schema {schema}"),
            &[format!(
                "CREATE SCHEMA IF NOT EXISTS {};",
                quote_ident(&schema)
            )],
        );
    }
    if !ir.project.extensions.is_empty() {
        section(&mut s, "extensions", &extension_statements(ir));
    }
    // Each node's section (heading and statements) is rendered once and used by
    // schema.sql and its domain's file; the heading also titles its rollback.
    let rendered: Vec<(String, String)> = plan
        .order
        .iter()
        .map(|&n| {
            let (heading, stmts) = create_node(ir, plan, n);
            let mut text = String::with_capacity(
                stmts.iter().map(|x| x.len() + 1).sum::<usize>() + heading.len() + 8,
            );
            section(&mut text, &heading, &stmts);
            (heading, text)
        })
        .collect();
    s.reserve(rendered.iter().map(|r| r.1.len()).sum::<usize>() + 16);
    for (_, text) in &rendered {
        s.push_str(text);
    }
    if let Some(guard) = lock_guard(&s[body_at..]) {
        s.insert_str(body_at, &guard);
    }
    s.push_str("\nCOMMIT;\n");
    out.files.insert("schema.sql".into(), s);

    // Per-domain files, numbered in domain dependency order.
    // Positions in `plan.order` (and `rendered`) of each domain's nodes.
    let mut by_domain: BTreeMap<crate::ir::DomainId, Vec<usize>> = BTreeMap::new();
    for (i, &n) in plan.order.iter().enumerate() {
        by_domain.entry(Plan::domain_of(ir, n)).or_default().push(i);
    }
    let mut created_schemas: BTreeSet<String> = BTreeSet::new();
    for (n, &d) in plan.domain_order.iter().enumerate() {
        let domain = ir.domain(d);
        let positions: Vec<usize> = by_domain.remove(&d).unwrap_or_default();
        let nodes: Vec<Node> = positions.iter().map(|&i| plan.order[i]).collect();
        let file = sources.get(domain.file).path.clone();
        let deps = domain_deps(ir, plan, d);
        let after = if deps.is_empty() {
            "It depends on no other domain.".to_string()
        } else {
            format!("Apply after: {}.", deps.join(", "))
        };
        let stem = format!("domains/{n:02}_{}", domain.name);
        let new_schemas: Vec<String> = schemas_of(ir, &nodes)
            .into_iter()
            .filter(|s| created_schemas.insert(s.clone()))
            .collect();

        let mut f = header(
            &format!("{stem}.sql"),
            ir,
            std::slice::from_ref(&file),
            &format!("Domain `{}`. {after}", comment_text(&domain.name)),
        );
        f.push_str(&begin(ir));
        let body_at = f.len();
        for schema in &new_schemas {
            section(
                &mut f,
                &format!("schema {schema}"),
                &[format!(
                    "CREATE SCHEMA IF NOT EXISTS {};",
                    quote_ident(schema)
                )],
            );
        }
        // The project's extensions come with the first domain (its rollback leaves them:
        // they may have been installed before the project).
        if n == 0 && !ir.project.extensions.is_empty() {
            section(&mut f, "extensions", &extension_statements(ir));
        }
        f.reserve(
            positions
                .iter()
                .map(|&i| rendered[i].1.len())
                .sum::<usize>()
                + 16,
        );
        for &i in &positions {
            f.push_str(&rendered[i].1);
        }
        if let Some(guard) = lock_guard(&f[body_at..]) {
            f.insert_str(body_at, &guard);
        }
        f.push_str("\nCOMMIT;\n");
        out.files.insert(format!("{stem}.sql"), f);

        let mut r = header(&format!("{stem}.rollback.sql"), ir, std::slice::from_ref(&file), &format!("Undoes `{stem}.sql`: drops domain `{}` in reverse dependency order. Roll back later domains first.", comment_text(&domain.name)));
        if nodes.iter().any(|n| matches!(n, Node::Table(_))) {
            r.push_str("-- WARNING: dropping tables deletes their rows.\n");
        }
        r.push_str(&begin(ir));
        let body_at = r.len();
        for &i in positions.iter().rev() {
            if let Some(stmt) = drop_node(ir, plan.order[i]) {
                let heading = &rendered[i].0;
                section(&mut r, &format!("undo {heading}"), &[stmt]);
            }
        }
        for schema in new_schemas.iter().rev() {
            section(
                &mut r,
                &format!("undo schema {schema}"),
                &[format!("DROP SCHEMA {};", quote_ident(schema))],
            );
        }
        if let Some(guard) = lock_guard(&r[body_at..]) {
            r.insert_str(body_at, &guard);
        }
        r.push_str("\nCOMMIT;\n");
        out.files.insert(format!("{stem}.rollback.sql"), r);
        let test_name = format!("tests/{n:02}_{}.sql", domain.name);
        out.files.insert(
            test_name.clone(),
            super::pgtap::domain_tests(ir, d, &test_name),
        );
    }
    out.files.insert(
        "docs/domains.md".into(),
        super::summary::domains_md(ir, plan),
    );
    out
}

/// Names of the domains `d` reads from, in domain order.
fn domain_deps(ir: &Ir, plan: &Plan, d: DomainId) -> Vec<String> {
    plan.domain_order
        .iter()
        .filter(|x| plan.domain_edges.contains(&(**x, d)))
        .map(|x| ir.domain(*x).name.clone())
        .collect()
}
