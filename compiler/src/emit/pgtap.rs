//! `generated/tests/`: pgTAP tests derived from the IR, for users to run against
//! their own database with `pg_prove` or `supabase test db`.

use std::fmt::Write;

use super::quote::{comment_text, quote_qname, LITERAL_SETTINGS};
use crate::ir::types::{canonical, format_type_name, parse_type};
use crate::ir::{DomainId, Grant, Ir, OnExternal, Policy, PolicyCommand, QName};
use crate::lint::privileges::{self, executes};

/// Test lines written straight into one buffer, without the formatting machinery:
/// thousands of tables make hundreds of thousands of literals.
#[derive(Default)]
struct Lines {
    text: String,
    count: usize,
}

impl Lines {
    fn raw(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Text escaped for the inside of a string literal.
    fn escaped(&mut self, s: &str) -> &mut Self {
        if s.contains('\'') {
            self.text.push_str(&s.replace('\'', "''"));
        } else {
            self.text.push_str(s);
        }
        self
    }

    /// `'text'`.
    fn lit(&mut self, s: &str) -> &mut Self {
        self.text.push('\'');
        self.escaped(s);
        self.text.push('\'');
        self
    }

    /// One literal made of several parts, each escaped.
    fn msg(&mut self, parts: &[&str]) -> &mut Self {
        self.text.push('\'');
        for p in parts {
            self.escaped(p);
        }
        self.text.push('\'');
        self
    }

    /// `ARRAY['a', 'b']` (typed `name[]` when empty).
    fn array<S: AsRef<str>>(&mut self, items: &[S]) -> &mut Self {
        if items.is_empty() {
            return self.raw("ARRAY[]::name[]");
        }
        self.raw("ARRAY[");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.raw(", ");
            }
            self.lit(item.as_ref());
        }
        self.raw("]")
    }

    /// `SELECT fn('schema', 'name', ` — the start of most test lines.
    fn call(&mut self, func: &str, schema: &str, name: &str) -> &mut Self {
        self.raw("SELECT ").raw(func).raw("(");
        self.lit(schema).raw(", ").lit(name).raw(", ")
    }

    /// Ends a line: `);` and a line break.
    fn end(&mut self) {
        self.text.push_str(");\n");
        self.count += 1;
    }
}

fn bool_sql(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// What each project role may do with a table or view: exactly what the TOML grants
/// (schemac revokes the rest; see `lint::privileges`).
fn table_privileges(t: &mut Lines, ir: &Ir, schema: &str, name: &str, grants: &[Grant]) {
    for role in ir.project.roles.keys() {
        let privs: Vec<String> = privileges::table_privileges(grants, role)
            .iter()
            .map(|p| p.to_uppercase())
            .collect();
        let list = if privs.is_empty() {
            "nothing".to_string()
        } else {
            privs.join(", ")
        };
        t.call("table_privs_are", schema, name)
            .lit(role)
            .raw(", ")
            .array(&privs)
            .raw(", ")
            .msg(&[role, " holds ", &list, " on ", name])
            .end();
    }
}

/// Each policy's command and roles.
fn policy_tests(t: &mut Lines, table: &QName, policies: &[Policy]) {
    let (s, n) = (table.schema.as_str(), table.name.as_str());
    for p in policies {
        let cmd = match p.command {
            PolicyCommand::All => "ALL",
            other => other.sql(),
        };
        let pn = p.name.as_str();
        t.call("policy_cmd_is", s, n)
            .lit(pn)
            .raw(", ")
            .lit(cmd)
            .raw(", ")
            .msg(&["policy ", pn, " is for ", cmd])
            .end();
        let mut roles: Vec<&str> = p.roles.iter().map(|(r, _)| r.as_str()).collect();
        if roles.is_empty() {
            roles.push("public");
        }
        if roles.contains(&"public") {
            // PUBLIC is role 0 in `polroles`, which pgTAP's `policy_roles_are` looks
            // up in pg_roles and so never finds: compare the names directly.
            roles.sort_unstable();
            t.raw("SELECT is((SELECT array_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r)::text END ORDER BY 1) FROM pg_catalog.pg_policy, unnest(polroles) AS r WHERE polrelid = ")
                .lit(&quote_qname(table))
                .raw("::regclass AND polname = ")
                .lit(pn)
                .raw("), ")
                .array(&roles)
                .raw("::text[], ")
                .msg(&["policy ", pn, " applies to ", &roles.join(", ")])
                .end();
            continue;
        }
        t.call("policy_roles_are", s, n)
            .lit(pn)
            .raw(", ")
            .array(&roles)
            .raw(", ")
            .msg(&["policy ", pn, " applies to ", &roles.join(", ")])
            .end();
    }
}

/// What a domain puts on an external table. Other objects on the table are not the
/// project's, so each declared object is tested by name, not the table's full list.
fn on_external_tests(t: &mut Lines, o: &OnExternal) {
    let (s, n) = (o.table.schema.as_str(), o.table.name.as_str());
    let table = o.table.to_string();
    for ix in &o.indexes {
        t.call("has_index", s, n)
            .lit(&ix.name)
            .raw(", ")
            .msg(&["index ", &ix.name, " exists on ", &table])
            .end();
    }
    for tr in &o.triggers {
        t.call("has_trigger", s, n)
            .lit(&tr.name)
            .raw(", ")
            .msg(&["trigger ", &tr.name, " exists on ", &table])
            .end();
        t.call("trigger_is", s, n)
            .lit(&tr.name)
            .raw(", ")
            .lit(&tr.function.schema)
            .raw(", ")
            .lit(&tr.function.name)
            .raw(", ")
            .msg(&["trigger ", &tr.name, " calls ", &tr.function.to_string()])
            .end();
    }
    for p in &o.policies {
        t.raw("SELECT ok(EXISTS (SELECT FROM pg_catalog.pg_policy WHERE polrelid = ")
            .lit(&quote_qname(&o.table))
            .raw("::regclass AND polname = ")
            .lit(&p.name)
            .raw("), ")
            .msg(&["policy ", &p.name, " exists on ", &table])
            .end();
    }
    policy_tests(t, &o.table, &o.policies);
    for g in &o.grants {
        let privs: Vec<&str> = if g.privileges.iter().any(|p| p == "all") {
            privileges::TABLE_PRIVILEGES.to_vec()
        } else {
            g.privileges.iter().map(String::as_str).collect()
        };
        for p in privs {
            let up = p.to_uppercase();
            t.raw("SELECT ok(pg_catalog.has_table_privilege(")
                .lit(&g.role)
                .raw(", ")
                .lit(&quote_qname(&o.table))
                .raw(", ")
                .lit(&up)
                .raw("), ")
                .msg(&[&g.role, " holds ", &up, " on ", &table])
                .end();
        }
    }
}

/// The pgTAP file of one domain.
pub fn domain_tests(ir: &Ir, domain: DomainId, file_name: &str) -> String {
    let mut t = Lines::default();
    let ds = &ir.project.default_schema;
    for table in ir.tables.iter().filter(|x| x.domain == domain) {
        let (s, n) = (table.name.schema.as_str(), table.name.name.as_str());
        let qualified = table.name.to_string();
        let display = comment_text(&qualified);
        t.call("has_table", s, n)
            .msg(&["table ", &display, " exists"])
            .end();
        for c in &table.columns {
            let ty = format_type_name(&c.canonical_ty, ds);
            let cn = c.name.as_str();
            t.call("col_type_is", s, n)
                .lit(cn)
                .raw(", ")
                .lit(&ty)
                .raw(", ")
                .msg(&[n, ".", cn, " is ", &ty])
                .end();
            if c.not_null {
                t.call("col_not_null", s, n)
                    .lit(cn)
                    .raw(", ")
                    .msg(&[n, ".", cn, " is NOT NULL"])
                    .end();
            } else {
                t.call("col_is_null", s, n)
                    .lit(cn)
                    .raw(", ")
                    .msg(&[n, ".", cn, " is nullable"])
                    .end();
            }
        }
        if let Some(pk) = &table.primary_key {
            t.call("col_is_pk", s, n)
                .array(&pk.columns)
                .raw(", ")
                .msg(&[n, " has primary key (", &pk.columns.join(", "), ")"])
                .end();
        }
        for fk in &table.foreign_keys {
            t.call("fk_ok", s, n)
                .array(&fk.columns)
                .raw(", ")
                .lit(&fk.target.schema)
                .raw(", ")
                .lit(&fk.target.name)
                .raw(", ")
                .array(&fk.target_columns)
                .raw(", ")
                .msg(&[
                    n,
                    "(",
                    &fk.columns.join(", "),
                    ") references ",
                    &fk.target.name,
                    "(",
                    &fk.target_columns.join(", "),
                    ")",
                ])
                .end();
        }
        let state = if table.rls { "enabled" } else { "disabled" };
        t.raw("SELECT is((SELECT relrowsecurity FROM pg_catalog.pg_class WHERE oid = ")
            .lit(&quote_qname(&table.name))
            .raw("::regclass), ")
            .raw(bool_sql(table.rls))
            .raw(", ")
            .msg(&["row-level security is ", state, " on ", n])
            .end();
        t.raw("SELECT is((SELECT relforcerowsecurity FROM pg_catalog.pg_class WHERE oid = ")
            .lit(&quote_qname(&table.name))
            .raw("::regclass), ")
            .raw(bool_sql(table.force_rls))
            .raw(", ")
            .msg(&[
                "row-level security is ",
                if table.force_rls {
                    "forced"
                } else {
                    "not forced"
                },
                " on ",
                n,
            ])
            .end();
        let names: Vec<&str> = table.policies.iter().map(|p| p.name.as_str()).collect();
        t.call("policies_are", s, n)
            .array(&names)
            .raw(", ")
            .msg(&[n, " has exactly its declared policies"])
            .end();
        policy_tests(&mut t, &table.name, &table.policies);
        table_privileges(&mut t, ir, s, n, &table.grants);
    }
    for v in ir.views.iter().filter(|x| x.domain == domain) {
        let (s, n) = (v.name.schema.as_str(), v.name.name.as_str());
        if v.materialized {
            t.call("has_materialized_view", s, n)
                .msg(&["materialized view ", n, " exists"])
                .end();
        } else {
            t.call("has_view", s, n).msg(&["view ", n, " exists"]).end();
            let is = if v.security_invoker { "is" } else { "is not" };
            t.raw("SELECT is((SELECT coalesce('security_invoker=true' = ANY(reloptions), false) FROM pg_catalog.pg_class WHERE oid = ")
                .lit(&quote_qname(&v.name))
                .raw("::regclass), ")
                .raw(bool_sql(v.security_invoker))
                .raw(", ")
                .msg(&["view ", n, " ", is, " security_invoker"])
                .end();
        }
        table_privileges(&mut t, ir, s, n, &v.grants);
    }
    for f in ir.functions.iter().filter(|x| x.domain == domain) {
        // Argument types as PostgreSQL spells them (pgTAP compares the spelling).
        let args: Vec<String> = f
            .arguments
            .iter()
            .map(|a| {
                let t = a.ty.replace('"', "");
                let canon = parse_type(&t).map(|p| canonical(&p)).unwrap_or(t);
                format_type_name(&canon, ds)
            })
            .collect();
        let (s, n) = (f.name.schema.as_str(), f.name.name.as_str());
        t.call("has_function", s, n)
            .array(&args)
            .raw(", ")
            .msg(&["function ", n, " exists"])
            .end();
        if f.security_definer {
            t.call("is_definer", s, n)
                .array(&args)
                .raw(", ")
                .msg(&["function ", n, " is security definer"])
                .end();
        }
        for role in ir.project.roles.keys() {
            let privs: &[&str] = if executes(f, role) { &["EXECUTE"] } else { &[] };
            let what = if privs.is_empty() {
                " may not execute "
            } else {
                " may execute "
            };
            t.call("function_privs_are", s, n)
                .array(&args)
                .raw(", ")
                .lit(role)
                .raw(", ")
                .array(privs)
                .raw(", ")
                .msg(&[role, what, n])
                .end();
        }
    }
    for o in ir.on_external.iter().filter(|x| x.domain == domain) {
        on_external_tests(&mut t, o);
    }
    let mut out = String::with_capacity(t.text.len() + 512);
    let _ = write!(
        out,
        "-- {file_name}\n-- pgTAP tests generated by schemac for domain `{}`. Do not edit: run `just build`.\n-- Run against a database with the pgtap extension: pg_prove -d <database> generated/tests/*.sql\n-- (or copy into supabase/tests/ for `supabase test db`).\n\nBEGIN;\n{LITERAL_SETTINGS}SELECT plan({});\n\n",
        comment_text(&ir.domain(domain).name),
        t.count
    );
    out.push_str(&t.text);
    out.push_str("\nSELECT * FROM finish();\nROLLBACK;\n");
    out
}
