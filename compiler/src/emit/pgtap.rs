//! `generated/tests/`: pgTAP tests derived from the IR, for users to run against
//! their own database with `pg_prove` or `supabase test db`.

use std::fmt::{self, Display, Write};

use super::quote::{comment_text, quote_qname};
use crate::ir::types::{canonical, format_type_name, parse_type};
use crate::ir::{DomainId, Ir, PolicyCommand};

/// A string literal, written without an intermediate allocation.
struct Lit<'a>(&'a str);

impl Display for Lit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        for part in self.0.split('\'').enumerate() {
            if part.0 > 0 {
                f.write_str("''")?;
            }
            f.write_str(part.1)?;
        }
        f.write_char('\'')
    }
}

/// A string literal of formatted text, escaped as it is written.
struct LitFmt<'a>(fmt::Arguments<'a>);

impl Display for LitFmt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Escape<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl Write for Escape<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for (i, part) in s.split('\'').enumerate() {
                    if i > 0 {
                        self.0.write_str("''")?;
                    }
                    self.0.write_str(part)?;
                }
                Ok(())
            }
        }
        f.write_char('\'')?;
        Escape(f).write_fmt(self.0)?;
        f.write_char('\'')
    }
}

/// `ARRAY['a', 'b']` (typed `name[]` when empty).
struct Array<'a, S: AsRef<str>>(&'a [S]);

impl<S: AsRef<str>> Display for Array<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("ARRAY[]::name[]");
        }
        f.write_str("ARRAY[")?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", Lit(item.as_ref()))?;
        }
        f.write_char(']')
    }
}

/// Test lines written straight into one buffer (thousands of tables make many).
#[derive(Default)]
struct Lines {
    text: String,
    count: usize,
}

impl Lines {
    fn line(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.text.write_fmt(args);
        self.text.push('\n');
        self.count += 1;
    }
}

/// The pgTAP file of one domain.
pub fn domain_tests(ir: &Ir, domain: DomainId, file_name: &str) -> String {
    let mut t = Lines::default();
    let ds = &ir.project.default_schema;
    for table in ir.tables.iter().filter(|x| x.domain == domain) {
        let (s, n, tn) = (
            Lit(&table.name.schema),
            Lit(&table.name.name),
            &table.name.name,
        );
        t.line(format_args!(
            "SELECT has_table({s}, {n}, {});",
            LitFmt(format_args!(
                "table {} exists",
                comment_text(&table.name.to_string())
            ))
        ));
        for c in &table.columns {
            let ty = format_type_name(&c.canonical_ty, ds);
            let cn = &c.name;
            t.line(format_args!(
                "SELECT col_type_is({s}, {n}, {}, {}, {});",
                Lit(cn),
                Lit(&ty),
                LitFmt(format_args!("{tn}.{cn} is {ty}"))
            ));
            if c.not_null {
                t.line(format_args!(
                    "SELECT col_not_null({s}, {n}, {}, {});",
                    Lit(cn),
                    LitFmt(format_args!("{tn}.{cn} is NOT NULL"))
                ));
            } else {
                t.line(format_args!(
                    "SELECT col_is_null({s}, {n}, {}, {});",
                    Lit(cn),
                    LitFmt(format_args!("{tn}.{cn} is nullable"))
                ));
            }
        }
        if let Some(pk) = &table.primary_key {
            t.line(format_args!(
                "SELECT col_is_pk({s}, {n}, {}, {});",
                Array(&pk.columns),
                LitFmt(format_args!(
                    "{tn} has primary key ({})",
                    pk.columns.join(", ")
                ))
            ));
        }
        for fk in &table.foreign_keys {
            let what = format!(
                "{tn}({}) references {}({})",
                fk.columns.join(", "),
                fk.target.name,
                fk.target_columns.join(", ")
            );
            t.line(format_args!(
                "SELECT fk_ok({s}, {n}, {}, {}, {}, {}, {});",
                Array(&fk.columns),
                Lit(&fk.target.schema),
                Lit(&fk.target.name),
                Array(&fk.target_columns),
                Lit(&what)
            ));
        }
        let state = if table.rls { "enabled" } else { "disabled" };
        t.line(format_args!(
            "SELECT is((SELECT relrowsecurity FROM pg_catalog.pg_class WHERE oid = {}::regclass), {}, {});",
            Lit(&quote_qname(&table.name)),
            table.rls,
            LitFmt(format_args!("row-level security is {state} on {tn}"))
        ));
        let names: Vec<&str> = table.policies.iter().map(|p| p.name.as_str()).collect();
        t.line(format_args!(
            "SELECT policies_are({s}, {n}, {}, {});",
            Array(&names),
            LitFmt(format_args!("{tn} has exactly its declared policies"))
        ));
        for p in &table.policies {
            let cmd = match p.command {
                PolicyCommand::All => "ALL",
                other => other.sql(),
            };
            let pn = &p.name;
            t.line(format_args!(
                "SELECT policy_cmd_is({s}, {n}, {}, {}, {});",
                Lit(pn),
                Lit(cmd),
                LitFmt(format_args!("policy {pn} is for {cmd}"))
            ));
            let mut roles: Vec<&str> = p.roles.iter().map(|(r, _)| r.as_str()).collect();
            if roles.is_empty() {
                roles.push("public");
            }
            t.line(format_args!(
                "SELECT policy_roles_are({s}, {n}, {}, {}, {});",
                Lit(pn),
                Array(&roles),
                LitFmt(format_args!("policy {pn} applies to {}", roles.join(", ")))
            ));
        }
    }
    for v in ir.views.iter().filter(|x| x.domain == domain) {
        let (s, n, vn) = (Lit(&v.name.schema), Lit(&v.name.name), &v.name.name);
        if v.materialized {
            t.line(format_args!(
                "SELECT has_materialized_view({s}, {n}, {});",
                LitFmt(format_args!("materialized view {vn} exists"))
            ));
        } else {
            t.line(format_args!(
                "SELECT has_view({s}, {n}, {});",
                LitFmt(format_args!("view {vn} exists"))
            ));
            let is = if v.security_invoker { "is" } else { "is not" };
            t.line(format_args!(
                "SELECT is((SELECT coalesce('security_invoker=true' = ANY(reloptions), false) FROM pg_catalog.pg_class WHERE oid = {}::regclass), {}, {});",
                Lit(&quote_qname(&v.name)),
                v.security_invoker,
                LitFmt(format_args!("view {vn} {is} security_invoker"))
            ));
        }
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
        let (s, n, fname) = (Lit(&f.name.schema), Lit(&f.name.name), &f.name.name);
        t.line(format_args!(
            "SELECT has_function({s}, {n}, {}, {});",
            Array(&args),
            LitFmt(format_args!("function {fname} exists"))
        ));
        if f.security_definer {
            t.line(format_args!(
                "SELECT is_definer({s}, {n}, {}, {});",
                Array(&args),
                LitFmt(format_args!("function {fname} is security definer"))
            ));
        }
    }
    let mut out = String::with_capacity(t.text.len() + 512);
    let _ = write!(
        out,
        "-- {file_name}\n-- pgTAP tests generated by schemac for domain `{}`. Do not edit: run `just build`.\n-- Run against a database with the pgtap extension: pg_prove -d <database> generated/tests/*.sql\n-- (or copy into supabase/tests/ for `supabase test db`).\n\nBEGIN;\nSELECT plan({});\n\n",
        comment_text(&ir.domain(domain).name),
        t.count
    );
    out.push_str(&t.text);
    out.push_str("\nSELECT * FROM finish();\nROLLBACK;\n");
    out
}
