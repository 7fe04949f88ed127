//! `generated/tests/`: pgTAP tests derived from the IR, for users to run against
//! their own database with `pg_prove` or `supabase test db`.

use super::quote::{comment_text, quote_literal};
use crate::ir::types::{canonical, format_type_name, parse_type};
use crate::ir::{DomainId, Ir, PolicyCommand, QName};

fn lit(s: &str) -> String {
    quote_literal(s)
}

fn array(items: &[String]) -> String {
    if items.is_empty() {
        return "ARRAY[]::name[]".to_string();
    }
    format!(
        "ARRAY[{}]",
        items.iter().map(|i| lit(i)).collect::<Vec<_>>().join(", ")
    )
}

fn regclass(q: &QName) -> String {
    lit(&super::quote::quote_qname(q))
}

/// Test lines written straight into one buffer (thousands of tables make many).
#[derive(Default)]
struct Lines {
    text: String,
    count: usize,
}

impl Lines {
    fn push(&mut self, line: String) {
        self.text.push_str(&line);
        self.text.push('\n');
        self.count += 1;
    }
}

/// The pgTAP file of one domain.
pub fn domain_tests(ir: &Ir, domain: DomainId, file_name: &str) -> String {
    let mut t = Lines::default();
    for table in ir.tables.iter().filter(|x| x.domain == domain) {
        let (s, n) = (lit(&table.name.schema), lit(&table.name.name));
        let what = comment_text(&table.name.to_string());
        t.push(format!(
            "SELECT has_table({s}, {n}, 'table {} exists');",
            what.replace('\'', "''")
        ));
        for c in &table.columns {
            let ty = format_type_name(&c.canonical_ty, &ir.project.default_schema);
            t.push(format!(
                "SELECT col_type_is({s}, {n}, {}, {}, {});",
                lit(&c.name),
                lit(&ty),
                lit(&format!("{}.{} is {ty}", table.name.name, c.name))
            ));
            let f = if c.not_null {
                "col_not_null"
            } else {
                "col_is_null"
            };
            t.push(format!(
                "SELECT {f}({s}, {n}, {}, {});",
                lit(&c.name),
                lit(&format!(
                    "{}.{} is {}",
                    table.name.name,
                    c.name,
                    if c.not_null { "NOT NULL" } else { "nullable" }
                ))
            ));
        }
        if let Some(pk) = &table.primary_key {
            t.push(format!(
                "SELECT col_is_pk({s}, {n}, {}, {});",
                array(&pk.columns),
                lit(&format!(
                    "{} has primary key ({})",
                    table.name.name,
                    pk.columns.join(", ")
                ))
            ));
        }
        for fk in &table.foreign_keys {
            t.push(format!(
                "SELECT fk_ok({s}, {n}, {}, {}, {}, {}, {});",
                array(&fk.columns),
                lit(&fk.target.schema),
                lit(&fk.target.name),
                array(&fk.target_columns),
                lit(&format!(
                    "{}({}) references {}({})",
                    table.name.name,
                    fk.columns.join(", "),
                    fk.target.name,
                    fk.target_columns.join(", ")
                ))
            ));
        }
        t.push(format!(
            "SELECT is((SELECT relrowsecurity FROM pg_catalog.pg_class WHERE oid = {}::regclass), {}, {});",
            regclass(&table.name),
            if table.rls { "true" } else { "false" },
            lit(&format!("row-level security is {} on {}", if table.rls { "enabled" } else { "disabled" }, table.name.name))
        ));
        let names: Vec<String> = table.policies.iter().map(|p| p.name.clone()).collect();
        t.push(format!(
            "SELECT policies_are({s}, {n}, {}, {});",
            array(&names),
            lit(&format!(
                "{} has exactly its declared policies",
                table.name.name
            ))
        ));
        for p in &table.policies {
            let cmd = match p.command {
                PolicyCommand::All => "ALL",
                other => other.sql(),
            };
            t.push(format!(
                "SELECT policy_cmd_is({s}, {n}, {}, {}, {});",
                lit(&p.name),
                lit(cmd),
                lit(&format!("policy {} is for {cmd}", p.name))
            ));
            let mut roles: Vec<String> = p.roles.iter().map(|(r, _)| r.clone()).collect();
            if roles.is_empty() {
                roles.push("public".into());
            }
            t.push(format!(
                "SELECT policy_roles_are({s}, {n}, {}, {}, {});",
                lit(&p.name),
                array(&roles),
                lit(&format!(
                    "policy {} applies to {}",
                    p.name,
                    roles.join(", ")
                ))
            ));
        }
    }
    for v in ir.views.iter().filter(|x| x.domain == domain) {
        let (s, n) = (lit(&v.name.schema), lit(&v.name.name));
        if v.materialized {
            t.push(format!(
                "SELECT has_materialized_view({s}, {n}, {});",
                lit(&format!("materialized view {} exists", v.name.name))
            ));
        } else {
            t.push(format!(
                "SELECT has_view({s}, {n}, {});",
                lit(&format!("view {} exists", v.name.name))
            ));
            t.push(format!(
                "SELECT is((SELECT coalesce('security_invoker=true' = ANY(reloptions), false) FROM pg_catalog.pg_class WHERE oid = {}::regclass), {}, {});",
                regclass(&v.name),
                if v.security_invoker { "true" } else { "false" },
                lit(&format!("view {} {} security_invoker", v.name.name, if v.security_invoker { "is" } else { "is not" }))
            ));
        }
    }
    for f in ir.functions.iter().filter(|x| x.domain == domain) {
        let args: Vec<String> = f
            .arguments
            .iter()
            .map(|a| {
                let t = a.ty.replace('"', "");
                let canon = parse_type(&t).map(|p| canonical(&p)).unwrap_or(t);
                format_type_name(&canon, &ir.project.default_schema)
            })
            .collect();
        t.push(format!(
            "SELECT has_function({}, {}, {}, {});",
            lit(&f.name.schema),
            lit(&f.name.name),
            array(&args),
            lit(&format!("function {} exists", f.name.name))
        ));
        if f.security_definer {
            t.push(format!(
                "SELECT is_definer({}, {}, {}, {});",
                lit(&f.name.schema),
                lit(&f.name.name),
                array(&args),
                lit(&format!("function {} is security definer", f.name.name))
            ));
        }
    }
    let count = t.count;
    let mut out = format!(
        "-- {file_name}\n-- pgTAP tests generated by schemac for domain `{}`. Do not edit: run `just build`.\n-- Run against a database with the pgtap extension: pg_prove -d <database> generated/tests/*.sql\n-- (or copy into supabase/tests/ for `supabase test db`).\n\nBEGIN;\nSELECT plan({});\n\n",
        comment_text(&ir.domain(domain).name),
        count
    );
    out.push_str(&t.text);
    out.push_str("\nSELECT * FROM finish();\nROLLBACK;\n");
    out
}
