//! Lowering: syntax to IR, resolving every name once. Errors are collected and the
//! IR is built as far as it can be, so one typo gives one diagnostic.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use super::model::*;
use super::sql::{find_word, parse_fragment, span_in_value, FragmentKind, SqlRefs};
use super::types::{builtin, builtin_names, canonical, parse_type, RETURN_PSEUDO};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics, FileId, Loc, Sources};
use crate::source::ProjectSource;
use crate::syntax::{self, Sp};

/// PostgreSQL truncates identifiers longer than this many bytes.
pub const MAX_IDENT_BYTES: usize = 63;

const PRIVILEGES: &[&str] = &[
    "all",
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
];
const SYSTEM_SCHEMAS: &[&str] = &["pg_catalog", "information_schema"];

/// Lowers a parsed project into the IR, reporting every problem it finds.
pub fn lower(src: &ProjectSource, sources: &Sources, diags: &mut Diagnostics) -> Ir {
    let mut l = Lowerer {
        sources,
        diags,
        ir: Ir::default(),
        relations: BTreeMap::new(),
        functions: BTreeMap::new(),
        fn_returns: BTreeMap::new(),
        table_index: BTreeMap::new(),
    };
    if let Some((file, p)) = &src.project {
        l.project(*file, p);
    } else {
        l.ir.project.default_schema = "public".into();
        l.ir.project.postgres = 15;
    }
    let mut domain_ids = Vec::new();
    for (file, d) in &src.domains {
        domain_ids.push(l.domain(*file, d));
    }
    for ((file, d), id) in src.domains.iter().zip(&domain_ids) {
        l.declare(*file, d, *id);
    }
    let mut pending_fks = Vec::new();
    for ((file, d), id) in src.domains.iter().zip(&domain_ids) {
        for (name, e) in &d.enums {
            l.enum_(*file, *id, name, e);
        }
        for (name, t) in &d.tables {
            if let Some((table, fks)) = l.table(*file, *id, name, t) {
                l.table_index
                    .entry(table.name.clone())
                    .or_insert(l.ir.tables.len());
                l.ir.tables.push(table);
                pending_fks.push(fks);
            }
        }
    }
    // Foreign keys need every table's columns, so they are resolved after all tables.
    for (i, fks) in pending_fks.into_iter().enumerate() {
        for fk in fks {
            l.foreign_key(i, fk);
        }
    }
    for ((file, d), id) in src.domains.iter().zip(&domain_ids) {
        for (name, t) in &d.tables {
            l.table_late(*file, name, t);
        }
        for (name, v) in &d.views {
            l.view(*file, *id, name, v);
        }
        for (name, f) in &d.functions {
            l.function(*file, *id, name, f);
        }
        for (name, r) in &d.raw {
            l.raw(*file, *id, name, r);
        }
        if let Some(r) = &d.renames {
            l.renames(*file, *id, r);
        }
        for a in &d.accept_data_loss {
            l.accept_loss(*file, a);
        }
    }
    l.check_rename_chains();
    l.check_relation_namespace();
    l.ir
}

struct PendingFk {
    name: String,
    columns: Vec<(String, Loc)>,
    target: (String, Loc),
    target_columns: Vec<(String, Loc)>,
    on_delete: FkAction,
    on_update: FkAction,
    deferrable: Option<Deferrable>,
    loc: Loc,
}

struct Lowerer<'a> {
    sources: &'a Sources,
    diags: &'a mut Diagnostics,
    ir: Ir,
    /// Relation and type namespace (tables, views, enums share it in PostgreSQL).
    relations: BTreeMap<QName, (ObjKind, Loc)>,
    functions: BTreeMap<QName, Loc>,
    fn_returns: BTreeMap<QName, String>,
    /// Position of each lowered table in `ir.tables` (lookups stay O(log n) for
    /// projects with thousands of tables).
    table_index: BTreeMap<QName, usize>,
}

fn loc<T>(file: FileId, v: &Sp<T>) -> Loc {
    Loc::new(file, v.span.clone())
}

impl Lowerer<'_> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Checks an identifier and returns it. Names are kept exactly as written and
    /// always quoted in SQL, so any character is safe; length is what PostgreSQL
    /// would silently break (it truncates at 63 bytes).
    fn ident(&mut self, file: FileId, name: &Sp<String>, what: &str) -> String {
        let l = loc(file, name);
        if name.is_empty() {
            self.err(
                Diagnostic::error("empty-name", format!("{what} name is empty"))
                    .label(&l, "empty name")
                    .help(format!("give the {what} a name")),
            );
        } else if name.contains('\0') {
            self.err(
                Diagnostic::error(
                    "invalid-name",
                    format!("{what} name contains a NUL character"),
                )
                .label(&l, "here")
                .help("remove the NUL character"),
            );
        } else if name.len() > MAX_IDENT_BYTES {
            self.err(
                Diagnostic::error("identifier-too-long", format!("{what} name `{}` is {} bytes; PostgreSQL truncates names to {MAX_IDENT_BYTES} bytes", name.value, name.len()))
                    .label(&l, "too long")
                    .help(format!("shorten it to at most {MAX_IDENT_BYTES} bytes (two long names could otherwise collide after truncation)")),
            );
        }
        name.value.clone()
    }

    /// A derived name (constraint, index) must also fit.
    fn derived_name(&mut self, name: String, l: &Loc, what: &str, key: &str) -> String {
        if name.len() > MAX_IDENT_BYTES {
            self.err(
                Diagnostic::error("identifier-too-long", format!("the derived {what} name `{name}` is {} bytes; PostgreSQL truncates names to {MAX_IDENT_BYTES} bytes", name.len()))
                    .label(l, format!("this {what} needs a shorter name"))
                    .help(format!("set `{key} = \"...\"` to a name of at most {MAX_IDENT_BYTES} bytes")),
            );
        }
        name
    }

    fn schema_of(&mut self, file: FileId, schema: &Option<Sp<String>>) -> String {
        match schema {
            Some(s) => self.ident(file, s, "schema"),
            None => self.ir.project.default_schema.clone(),
        }
    }

    /// `"name"` or `"schema.name"` to a qualified name.
    fn qualify(&self, text: &str) -> QName {
        match text.split_once('.') {
            Some((s, n)) => QName::new(s, n),
            None => QName::new(self.ir.project.default_schema.clone(), text),
        }
    }

    fn text(&self, file: FileId) -> &str {
        &self.sources.get(file).text
    }

    // ---------------------------------------------------------------- project

    fn project(&mut self, file: FileId, p: &syntax::ProjectFile) {
        let proj = &p.project.value;
        self.ir.project.file = Some(file);
        self.ir.project.name = proj.name.value.clone();
        self.ir.project.description = proj.description.as_ref().map(|d| d.value.clone());
        self.ir.project.postgres = proj.postgres.value;
        if proj.postgres.value < 15 {
            self.err(
                Diagnostic::error(
                    "postgres-too-old",
                    format!(
                        "PostgreSQL {} is older than schemac supports",
                        proj.postgres.value
                    ),
                )
                .label(
                    &loc(file, &proj.postgres),
                    "minimum PostgreSQL major version",
                )
                .help("set `postgres = 15` or later: `security_invoker` views need PostgreSQL 15"),
            );
        }
        self.ir.project.default_schema = match &proj.default_schema {
            Some(s) => self.ident(file, s, "schema"),
            None => "public".into(),
        };
        for (name, _) in &p.roles {
            let n = self.ident(file, name, "role");
            self.ir.project.roles.insert(n, loc(file, name));
        }
        if let Some(ext) = &p.external {
            for s in &ext.schemas {
                let n = self.ident(file, s, "schema");
                self.ir.project.external_schemas.insert(n);
            }
            for f in &ext.functions {
                let q = self.qualify(&f.value);
                self.ir.project.external_functions.insert(q);
            }
            for (name, cols) in &ext.tables {
                let q = self.qualify(&name.value);
                let mut columns = BTreeMap::new();
                for (c, ty) in cols {
                    let canon = match parse_type(&ty.value) {
                        Ok(t) => canonical(&t),
                        Err(m) => {
                            self.err(
                                Diagnostic::error("invalid-type", m)
                                    .label(&loc(file, ty), "not a type")
                                    .help("write a PostgreSQL type such as `uuid` or `text`"),
                            );
                            continue;
                        }
                    };
                    columns.insert(c.value.clone(), canon);
                }
                self.ir.project.external_tables.insert(
                    q,
                    ExternalTable {
                        loc: Some(loc(file, name)),
                        columns,
                    },
                );
            }
        }
        if let Some(n) = &p.naming {
            let pairs = |v: &Vec<Sp<String>>| {
                v.iter()
                    .map(|s| (s.value.clone(), loc(file, s)))
                    .collect::<Vec<_>>()
            };
            self.ir.project.naming = Naming {
                singular_words: pairs(&n.singular_words),
                generic_names: pairs(&n.generic_names),
                index_pattern: n
                    .index_pattern
                    .as_ref()
                    .map(|s| (s.value.clone(), loc(file, s))),
                policy_pattern: n
                    .policy_pattern
                    .as_ref()
                    .map(|s| (s.value.clone(), loc(file, s))),
            };
        }
        for (cat, r) in &p.reserved {
            self.ir.project.reserved.push(ReservedCategory {
                name: cat.value.clone(),
                reason: r.reason.value.clone(),
                loc: loc(file, cat),
                names: r
                    .names
                    .iter()
                    .map(|s| (s.value.clone(), loc(file, s)))
                    .collect(),
            });
        }
        for (rule, sev) in &p.lint {
            if !matches!(sev.as_str(), "error" | "warn" | "off") {
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` is not a lint severity", sev.value),
                    )
                    .label(&loc(file, sev), "expected \"error\", \"warn\" or \"off\"")
                    .help(format!(
                        "write `{} = \"warn\"` (or \"error\", \"off\")",
                        rule.value
                    )),
                );
            }
            self.ir
                .project
                .lint
                .insert(rule.value.clone(), (sev.value.clone(), loc(file, rule)));
        }
        let m = p.migrations.as_ref();
        self.ir.project.lock_timeout = m
            .and_then(|m| m.lock_timeout.as_ref())
            .map_or("5s".into(), |s| s.value.clone());
        self.ir.project.statement_timeout = m
            .and_then(|m| m.statement_timeout.as_ref())
            .map_or("60s".into(), |s| s.value.clone());
        for t in [
            &self.ir.project.lock_timeout.clone(),
            &self.ir.project.statement_timeout.clone(),
        ] {
            if !t.chars().all(|c| c.is_ascii_alphanumeric()) || t.is_empty() {
                let l = m.map(|m| loc(file, m)).unwrap_or(Loc::new(file, 0..0));
                self.err(
                    Diagnostic::error("invalid-value", format!("`{t}` is not a timeout"))
                        .label(&l, "here")
                        .help("write a duration such as \"5s\" or \"500ms\""),
                );
            }
        }
    }

    // ---------------------------------------------------------------- domains

    fn domain(&mut self, file: FileId, d: &syntax::DomainFile) -> DomainId {
        let sec = &d.domain.value;
        let name = self.ident(file, &sec.name, "domain");
        let l = loc(file, &sec.name);
        if let Some(prev) = self.ir.domains.iter().find(|x| x.name == name) {
            let prev = prev.loc.clone();
            self.err(
                Diagnostic::error(
                    "duplicate-domain",
                    format!("domain `{name}` is declared twice"),
                )
                .label(&l, "declared again here")
                .label(&prev, "first declared here")
                .help("give each domain file its own `[domain] name`"),
            );
        }
        let stem = self
            .sources
            .get(file)
            .path
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".toml")
            .to_string();
        if stem != name {
            self.err(
                Diagnostic::error(
                    "domain-file-name",
                    format!("domain `{name}` is declared in `{stem}.toml`"),
                )
                .label(&l, "domain name")
                .help(format!(
                    "rename the file to `domains/{name}.toml` or the domain to `{stem}`"
                )),
            );
        }
        let prefix = sec.prefix.as_ref().map(|p| (p.value.clone(), loc(file, p)));
        if let Some((p, pl)) = &prefix {
            if p.is_empty() {
                self.err(Diagnostic::error("invalid-value", "the domain prefix is empty").label(pl, "empty").help("remove `prefix` for a domain without one, or write e.g. `prefix = \"crm_\"`"));
            }
        }
        self.ir.domains.push(Domain {
            name,
            loc: l,
            file,
            prefix,
            description: sec.description.as_ref().map(|s| s.value.clone()),
            depends_on: sec
                .depends_on
                .as_ref()
                .map(|v| v.iter().map(|s| (s.value.clone(), loc(file, s))).collect()),
        });
        DomainId(self.ir.domains.len() - 1)
    }

    /// First pass: every name a domain declares, so references resolve in any order.
    fn declare(&mut self, file: FileId, d: &syntax::DomainFile, _id: DomainId) {
        let decl = |this: &mut Self,
                    kind: ObjKind,
                    schema: &Option<Sp<String>>,
                    name: &Sp<String>| {
            let schema = match schema {
                Some(s) => s.value.clone(),
                None => this.ir.project.default_schema.clone(),
            };
            let q = QName::new(schema, name.value.clone());
            let l = loc(file, name);
            if kind == ObjKind::Function {
                if let Some(prev) = this.functions.get(&q).cloned() {
                    this.err(
                        Diagnostic::error(
                            "duplicate-name",
                            format!("function `{}` is declared twice", q.name),
                        )
                        .label(&l, "declared again here")
                        .label(&prev, "first declared here")
                        .help("rename one of them (schemac has one function per name)"),
                    );
                } else {
                    this.functions.insert(q, l);
                }
                return;
            }
            if let Some((pk, prev)) = this.relations.get(&q).cloned() {
                this.err(
                    Diagnostic::error("duplicate-name", format!("`{}` is declared as {kind} here and as {pk} elsewhere", q.name))
                        .label(&l, "declared again here")
                        .label(&prev, "first declared here")
                        .help("tables, views and types share one namespace per schema in PostgreSQL; rename one of them"),
                );
            } else {
                this.relations.insert(q, (kind, l));
            }
        };
        for (n, e) in &d.enums {
            decl(self, ObjKind::Enum, &e.schema, n);
        }
        for (n, t) in &d.tables {
            decl(self, ObjKind::Table, &t.schema, n);
        }
        for (n, v) in &d.views {
            decl(self, ObjKind::View, &v.schema, n);
        }
        for (n, f) in &d.functions {
            decl(self, ObjKind::Function, &f.schema, n);
            let schema = f
                .schema
                .as_ref()
                .map_or(self.ir.project.default_schema.clone(), |s| s.value.clone());
            self.fn_returns.insert(
                QName::new(schema, n.value.clone()),
                f.returns.value.trim().to_lowercase(),
            );
        }
    }

    // ---------------------------------------------------------------- SQL fragments

    /// Parses a fragment; on error reports it at the exact place inside the TOML string.
    fn sql(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        kind: FragmentKind,
        what: &str,
    ) -> Option<SqlRefs> {
        match parse_fragment(kind, &v.value) {
            Ok(r) => Some(r),
            Err(e) => {
                let span = match e.offset {
                    Some(o) => {
                        let end = (o + 1).min(v.value.len()).max(o);
                        span_in_value(self.text(file), &v.span, o..end)
                    }
                    None => v.span.clone(),
                };
                self.err(
                    Diagnostic::error(
                        "sql-syntax",
                        format!("SQL syntax error in {what}: {}", e.message),
                    )
                    .label(&Loc::new(file, span), "here")
                    .help(format!("write {what} as valid PostgreSQL")),
                );
                None
            }
        }
    }

    /// Resolves what a fragment reads into dependencies; unknown relations are errors.
    fn resolve_refs(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        refs: &SqlRefs,
        what: &str,
        deps: &mut BTreeSet<ObjRef>,
        reads: &mut BTreeSet<QName>,
    ) {
        for rel in &refs.relations {
            let q = match rel.as_slice() {
                [n] => QName::new(self.ir.project.default_schema.clone(), n.clone()),
                [s, n] => QName::new(s.clone(), n.clone()),
                [_, s, n] => QName::new(s.clone(), n.clone()),
                _ => continue,
            };
            if SYSTEM_SCHEMAS.contains(&q.schema.as_str())
                || (rel.len() == 1 && q.name.starts_with("pg_"))
            {
                continue;
            }
            reads.insert(q.clone());
            if let Some((kind, _)) = self.relations.get(&q) {
                deps.insert(ObjRef {
                    kind: *kind,
                    name: q,
                });
            } else if self.functions.contains_key(&q) {
                deps.insert(ObjRef {
                    kind: ObjKind::Function,
                    name: q,
                });
            } else if self.ir.project.external_tables.contains_key(&q) {
            } else {
                let word = rel.last().cloned().unwrap_or_default();
                let span = find_word(&v.value, &word)
                    .map(|r| span_in_value(self.text(file), &v.span, r))
                    .unwrap_or(v.span.clone());
                let names: Vec<String> = self.relations.keys().map(|k| k.name.clone()).collect();
                let help = match did_you_mean(&q.name, names.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`? Otherwise declare `{q}` in this project or under `[external.tables]` in schemac.toml"),
                    None => format!("declare `{q}` in this project, or under `[external.tables]` in schemac.toml if it exists outside it"),
                };
                self.err(
                    Diagnostic::error(
                        "unknown-relation",
                        format!("{what} reads `{q}`, which is not declared"),
                    )
                    .label(&Loc::new(file, span), "unknown table or view")
                    .help(help),
                );
            }
        }
        for func in &refs.functions {
            let q = match func.as_slice() {
                [n] => QName::new(self.ir.project.default_schema.clone(), n.clone()),
                [s, n] => QName::new(s.clone(), n.clone()),
                _ => continue,
            };
            if self.functions.contains_key(&q) {
                deps.insert(ObjRef {
                    kind: ObjKind::Function,
                    name: q,
                });
            } else if func.len() == 2
                && !SYSTEM_SCHEMAS.contains(&q.schema.as_str())
                && !self.ir.project.external_functions.contains(&q)
            {
                let word = q.name.clone();
                let span = find_word(&v.value, &word)
                    .map(|r| span_in_value(self.text(file), &v.span, r))
                    .unwrap_or(v.span.clone());
                self.err(
                    Diagnostic::error("unknown-function", format!("{what} calls `{q}()`, which is not declared"))
                        .label(&Loc::new(file, span), "unknown function")
                        .help(format!("declare it in this project, or add \"{q}\" to `[external] functions` in schemac.toml")),
                );
            }
        }
    }

    /// Parses and resolves an expression fragment; returns the text if it parsed.
    fn expr(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        what: &str,
        deps: &mut BTreeSet<ObjRef>,
    ) -> Option<String> {
        let refs = self.sql(file, v, FragmentKind::Expr, what)?;
        let mut reads = BTreeSet::new();
        self.resolve_refs(file, v, &refs, what, deps, &mut reads);
        Some(v.value.trim().to_string())
    }

    // ---------------------------------------------------------------- types

    /// Checks a column or argument type; returns (display, canonical), adding enum deps.
    fn column_type(
        &mut self,
        file: FileId,
        ty: &Sp<String>,
        deps: &mut BTreeSet<ObjRef>,
        allow_tables: bool,
    ) -> Option<(String, String)> {
        let l = loc(file, ty);
        // A project enum is named exactly as declared (any characters), optionally as an array.
        let mut raw = ty.value.trim();
        let mut depth = 0;
        while let Some(r) = raw.strip_suffix("[]") {
            raw = r.trim_end();
            depth += 1;
        }
        for q in [
            QName::new(self.ir.project.default_schema.clone(), raw),
            self.qualify(raw),
        ] {
            if let Some((ObjKind::Enum, _)) = self.relations.get(&q) {
                deps.insert(ObjRef {
                    kind: ObjKind::Enum,
                    name: q.clone(),
                });
                let display = format!("{}{}", crate::emit::quote_qname(&q), "[]".repeat(depth));
                return Some((display, format!("{q}{}", "[]".repeat(depth))));
            }
        }
        let t = match parse_type(&ty.value) {
            Ok(t) => t,
            Err(m) => {
                self.err(Diagnostic::error("invalid-type", m).label(&l, "not a type").help("write a PostgreSQL type such as `text`, `varchar(255)`, `numeric(10,2)` or `uuid[]`, or a project enum"));
                return None;
            }
        };
        if builtin(&t.base).is_some() {
            return Some((t.display(), canonical(&t)));
        }
        let q = self.qualify(&t.base);
        match self.relations.get(&q) {
            Some((ObjKind::Enum, _)) => {
                deps.insert(ObjRef {
                    kind: ObjKind::Enum,
                    name: q.clone(),
                });
                let display = format!(
                    "{}{}",
                    crate::emit::quote_qname(&q),
                    "[]".repeat(t.array_depth)
                );
                Some((display, format!("{q}{}", "[]".repeat(t.array_depth))))
            }
            Some((kind @ (ObjKind::Table | ObjKind::View), _)) if allow_tables => {
                deps.insert(ObjRef {
                    kind: *kind,
                    name: q.clone(),
                });
                Some((
                    format!(
                        "{}{}",
                        crate::emit::quote_qname(&q),
                        "[]".repeat(t.array_depth)
                    ),
                    format!("{q}{}", "[]".repeat(t.array_depth)),
                ))
            }
            _ => {
                let enums: Vec<String> = self
                    .relations
                    .iter()
                    .filter(|(_, (k, _))| *k == ObjKind::Enum)
                    .map(|(q, _)| q.name.clone())
                    .collect();
                let cands = builtin_names()
                    .map(str::to_string)
                    .chain(enums)
                    .collect::<Vec<_>>();
                let help = match did_you_mean(&t.base, cands.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => {
                        "use a PostgreSQL built-in type or declare the enum under `[enums.<name>]`"
                            .into()
                    }
                };
                self.err(
                    Diagnostic::error("unknown-type", format!("unknown type `{}`", t.base))
                        .label(&l, "not a built-in type or project enum")
                        .help(help),
                );
                None
            }
        }
    }

    // ---------------------------------------------------------------- enums

    fn enum_(
        &mut self,
        file: FileId,
        domain: DomainId,
        name: &Sp<String>,
        e: &Sp<syntax::EnumDecl>,
    ) {
        let n = self.ident(file, name, "enum");
        let schema = self.schema_of(file, &e.schema);
        let mut seen = BTreeSet::new();
        if e.values.is_empty() {
            self.err(
                Diagnostic::error("empty-enum", format!("enum `{n}` has no values"))
                    .label(&loc(file, e), "no values")
                    .help("list its labels: `values = [\"a\", \"b\"]`"),
            );
        }
        for v in &e.values {
            if !seen.insert(v.value.clone()) {
                self.err(
                    Diagnostic::error(
                        "duplicate-enum-value",
                        format!("enum `{n}` lists `{}` twice", v.value),
                    )
                    .label(&loc(file, v), "repeated")
                    .help("remove the repeated label"),
                );
            }
            if v.value.is_empty() || v.value.len() > MAX_IDENT_BYTES {
                self.err(
                    Diagnostic::error(
                        "invalid-enum-value",
                        format!("enum label `{}` must be 1 to 63 bytes", v.value),
                    )
                    .label(&loc(file, v), "here")
                    .help("shorten the label"),
                );
            }
        }
        self.ir.enums.push(Enum {
            name: QName::new(schema, n),
            loc: loc(file, name),
            domain,
            values: e.values.iter().map(|v| v.value.clone()).collect(),
            comment: e.comment.as_ref().map(|c| c.value.clone()),
        });
    }

    // ---------------------------------------------------------------- tables

    fn column_list(
        &mut self,
        file: FileId,
        table: &str,
        cols: &[Sp<String>],
        known: &IndexMap<Sp<String>, Sp<syntax::Column>>,
        what: &str,
    ) -> Vec<(String, Loc)> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for c in cols {
            let l = loc(file, c);
            if !known.contains_key(c.value.as_str()) {
                let help = match did_you_mean(&c.value, known.keys().map(|k| k.value.as_str())) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("use a column of `{table}`"),
                };
                self.err(
                    Diagnostic::error(
                        "unknown-column",
                        format!(
                            "{what} names column `{}`, which `{table}` does not have",
                            c.value
                        ),
                    )
                    .label(&l, "unknown column")
                    .help(help),
                );
            } else if !seen.insert(c.value.clone()) {
                self.err(
                    Diagnostic::error(
                        "duplicate-column",
                        format!("{what} names column `{}` twice", c.value),
                    )
                    .label(&l, "repeated")
                    .help("list each column once"),
                );
            }
            out.push((c.value.clone(), l));
        }
        out
    }

    fn fk_action(&mut self, file: FileId, v: &Option<Sp<String>>) -> FkAction {
        let Some(v) = v else {
            return FkAction::NoAction;
        };
        match v.value.to_lowercase().replace(' ', "_").as_str() {
            "cascade" => FkAction::Cascade,
            "restrict" => FkAction::Restrict,
            "set_null" => FkAction::SetNull,
            "set_default" => FkAction::SetDefault,
            "no_action" => FkAction::NoAction,
            _ => {
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` is not a foreign-key action", v.value),
                    )
                    .label(&loc(file, v), "unknown action")
                    .help(
                        "use one of `cascade`, `restrict`, `set_null`, `set_default`, `no_action`",
                    ),
                );
                FkAction::NoAction
            }
        }
    }

    fn deferrable(&mut self, file: FileId, v: &Option<Sp<String>>) -> Option<Deferrable> {
        let v = v.as_ref()?;
        match v.value.as_str() {
            "immediate" => Some(Deferrable::InitiallyImmediate),
            "deferred" => Some(Deferrable::InitiallyDeferred),
            _ => {
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` is not a deferrable mode", v.value),
                    )
                    .label(&loc(file, v), "here")
                    .help("use `deferrable = \"immediate\"` or `\"deferred\"` (initially)"),
                );
                None
            }
        }
    }

    fn table(
        &mut self,
        file: FileId,
        domain: DomainId,
        name: &Sp<String>,
        t: &Sp<syntax::Table>,
    ) -> Option<(Table, Vec<PendingFk>)> {
        let tn = self.ident(file, name, "table");
        let schema = self.schema_of(file, &t.schema);
        let tl = loc(file, name);
        let mut deps = BTreeSet::new();
        let mut columns = Vec::new();
        let mut pk_cols: Vec<(String, Loc)> = Vec::new();
        let mut uniques = Vec::new();
        let mut checks = Vec::new();
        let mut fks = Vec::new();
        if t.columns.is_empty() {
            self.err(
                Diagnostic::error("no-columns", format!("table `{tn}` has no columns"))
                    .label(&tl, "no columns")
                    .help(format!(
                        "add `[tables.{tn}.columns]` with at least one column"
                    )),
            );
        }
        for (cname, c) in &t.columns {
            let cn = self.ident(file, cname, "column");
            let cl = loc(file, cname);
            let (ty, canonical_ty) = self
                .column_type(file, &c.ty, &mut deps, false)
                .unwrap_or_else(|| (c.ty.value.clone(), c.ty.value.clone()));
            let is_pk = c.primary_key.as_ref().is_some_and(|p| p.value);
            if is_pk {
                pk_cols.push((cn.clone(), cl.clone()));
            }
            let default = c.default.as_ref().and_then(|d| {
                self.expr(file, d, &format!("the default of `{tn}.{cn}`"), &mut deps)
            });
            let generated = c.generated.as_ref().and_then(|g| {
                self.expr(
                    file,
                    g,
                    &format!("the generated column `{tn}.{cn}`"),
                    &mut deps,
                )
            });
            let identity = match &c.identity {
                None => None,
                Some(i) if i.value == "always" => Some(Identity::Always),
                Some(i) if i.value == "by_default" => Some(Identity::ByDefault),
                Some(i) => {
                    self.err(
                        Diagnostic::error(
                            "invalid-value",
                            format!("`{}` is not an identity kind", i.value),
                        )
                        .label(&loc(file, i), "here")
                        .help("use `identity = \"always\"` or `\"by_default\"`"),
                    );
                    None
                }
            };
            let producers = [
                c.default.as_ref().map(|d| loc(file, d)),
                c.generated.as_ref().map(|d| loc(file, d)),
                c.identity.as_ref().map(|d| loc(file, d)),
            ];
            let set: Vec<&Loc> = producers.iter().flatten().collect();
            if set.len() > 1 {
                self.err(Diagnostic::error("conflicting-keys", format!("column `{tn}.{cn}` sets more than one of `default`, `generated`, `identity`")).label(set[1], "conflicts").label(set[0], "with this").help("keep only one of them"));
            }
            if let Some(ch) = &c.check {
                let name = match &c.check_name {
                    Some(n) => self.ident(file, n, "check constraint"),
                    None => self.derived_name(
                        format!("{tn}_{cn}_check"),
                        &loc(file, ch),
                        "check constraint",
                        "check_name",
                    ),
                };
                if let Some(e) =
                    self.expr(file, ch, &format!("the check of `{tn}.{cn}`"), &mut deps)
                {
                    checks.push(Check {
                        name,
                        expression: e,
                        loc: loc(file, ch),
                    });
                }
            } else if let Some(n) = &c.check_name {
                self.err(
                    Diagnostic::error("orphan-key", "`check_name` without `check`")
                        .label(&loc(file, n), "names no check")
                        .help("add `check = \"...\"` or remove `check_name`"),
                );
            }
            if c.unique.as_ref().is_some_and(|u| u.value) {
                let ul = loc(
                    file,
                    c.unique
                        .as_ref()
                        .unwrap_or_else(|| unreachable!("checked is_some above")),
                );
                let name = self.derived_name(
                    format!("{tn}_{cn}_key"),
                    &ul,
                    "unique constraint",
                    "name` in `[[tables.<t>.unique]]",
                );
                uniques.push(Unique {
                    name,
                    columns: vec![cn.clone()],
                    nulls_not_distinct: false,
                    loc: ul,
                });
            }
            match &c.references {
                Some(r) => {
                    let (target, col) = match r.value.rsplit_once('.') {
                        Some((t, c)) if !t.is_empty() && !c.is_empty() => {
                            (t.to_string(), c.to_string())
                        }
                        _ => {
                            self.err(Diagnostic::error("invalid-reference", format!("`{}` does not name a column", r.value)).label(&loc(file, r), "expected `table.column`").help("write `references = \"table.column\"` (or `\"schema.table.column\"`)"));
                            (String::new(), String::new())
                        }
                    };
                    if !target.is_empty() {
                        let name = match &c.fk_name {
                            Some(n) => self.ident(file, n, "foreign key"),
                            None => self.derived_name(
                                format!("{tn}_{cn}_fkey"),
                                &loc(file, r),
                                "foreign key",
                                "fk_name",
                            ),
                        };
                        let on_delete = self.fk_action(file, &c.on_delete);
                        let on_update = self.fk_action(file, &c.on_update);
                        let deferrable = self.deferrable(file, &c.deferrable);
                        fks.push(PendingFk {
                            name,
                            columns: vec![(cn.clone(), cl.clone())],
                            target: (target, loc(file, r)),
                            target_columns: vec![(col, loc(file, r))],
                            on_delete,
                            on_update,
                            deferrable,
                            loc: loc(file, r),
                        });
                    }
                }
                None => {
                    for (k, v) in [
                        ("on_delete", &c.on_delete),
                        ("on_update", &c.on_update),
                        ("deferrable", &c.deferrable),
                        ("fk_name", &c.fk_name),
                    ] {
                        if let Some(v) = v {
                            self.err(
                                Diagnostic::error(
                                    "orphan-key",
                                    format!("`{k}` without `references`"),
                                )
                                .label(&loc(file, v), "applies to no foreign key")
                                .help(format!(
                                    "add `references = \"table.column\"` or remove `{k}`"
                                )),
                            );
                        }
                    }
                }
            }
            let not_null =
                is_pk || c.not_null.as_ref().is_some_and(|n| n.value) || identity.is_some();
            let convert_using = c.using.as_ref().and_then(|u| {
                self.expr(
                    file,
                    u,
                    &format!("the `using` of `{tn}.{cn}`"),
                    &mut BTreeSet::new(),
                )
            });
            columns.push(Column {
                convert_using,
                name: cn,
                loc: cl,
                ty,
                canonical_ty,
                ty_loc: loc(file, &c.ty),
                not_null,
                default,
                generated,
                identity,
                comment: c.comment.as_ref().map(|s| s.value.clone()),
            });
        }

        let mut primary_key = None;
        if pk_cols.len() > 1 {
            self.err(
                Diagnostic::error(
                    "multiple-primary-keys",
                    format!(
                        "table `{tn}` marks {} columns `primary_key = true`",
                        pk_cols.len()
                    ),
                )
                .label(&pk_cols[1].1, "second primary-key column")
                .label(&pk_cols[0].1, "first")
                .help(format!(
                    "for a composite key write `[tables.{tn}.primary_key] columns = [{}]`",
                    pk_cols
                        .iter()
                        .map(|(c, _)| format!("\"{c}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
        if let Some((c, l)) = pk_cols.first() {
            let name = self.derived_name(
                format!("{tn}_pkey"),
                l,
                "primary key",
                "name` in `[tables.<t>.primary_key]",
            );
            primary_key = Some(PrimaryKey {
                name,
                columns: vec![c.clone()],
                loc: l.clone(),
            });
        }
        if let Some(pk) = &t.primary_key {
            let pl = loc(file, pk);
            if primary_key.is_some() {
                self.err(
                    Diagnostic::error(
                        "multiple-primary-keys",
                        format!("table `{tn}` declares a primary key twice"),
                    )
                    .label(&pl, "composite key")
                    .help("remove `primary_key = true` from the column or this section"),
                );
            }
            let cols = self.column_list(file, &tn, &pk.columns, &t.columns, "the primary key");
            if cols.is_empty() {
                self.err(
                    Diagnostic::error("empty-column-list", "the primary key lists no columns")
                        .label(&pl, "here")
                        .help("list the key's columns: `columns = [\"a\", \"b\"]`"),
                );
            }
            let name = match &pk.name {
                Some(n) => self.ident(file, n, "primary key"),
                None => self.derived_name(format!("{tn}_pkey"), &pl, "primary key", "name"),
            };
            for (c, _) in &cols {
                if let Some(col) = columns.iter_mut().find(|x| &x.name == c) {
                    col.not_null = true;
                }
            }
            primary_key = Some(PrimaryKey {
                name,
                columns: cols.into_iter().map(|(c, _)| c).collect(),
                loc: pl,
            });
        }
        for u in &t.unique {
            let ul = loc(file, u);
            let cols = self.column_list(file, &tn, &u.columns, &t.columns, "the unique constraint");
            if cols.is_empty() {
                self.err(
                    Diagnostic::error(
                        "empty-column-list",
                        "the unique constraint lists no columns",
                    )
                    .label(&ul, "here")
                    .help("list its columns: `columns = [\"a\", \"b\"]`"),
                );
            }
            let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
            let name = match &u.name {
                Some(n) => self.ident(file, n, "unique constraint"),
                None => self.derived_name(
                    format!("{tn}_{}_key", names.join("_")),
                    &ul,
                    "unique constraint",
                    "name",
                ),
            };
            uniques.push(Unique {
                name,
                columns: names,
                nulls_not_distinct: u.nulls_not_distinct.as_ref().is_some_and(|b| b.value),
                loc: ul,
            });
        }
        for (cname, ch) in &t.checks {
            let name = self.ident(file, cname, "check constraint");
            if let Some(e) = self.expr(file, &ch.expression, &format!("check `{name}`"), &mut deps)
            {
                checks.push(Check {
                    name,
                    expression: e,
                    loc: loc(file, cname),
                });
            }
        }
        for fk in &t.foreign_keys {
            let fl = loc(file, fk);
            let cols = self.column_list(file, &tn, &fk.columns, &t.columns, "the foreign key");
            if cols.is_empty() {
                self.err(
                    Diagnostic::error("empty-column-list", "the foreign key lists no columns")
                        .label(&fl, "here")
                        .help("list its columns: `columns = [\"a\"]`"),
                );
            }
            if fk.referenced_columns.len() != fk.columns.len() {
                self.err(
                    Diagnostic::error(
                        "fk-column-count",
                        format!(
                            "the foreign key has {} columns but references {}",
                            fk.columns.len(),
                            fk.referenced_columns.len()
                        ),
                    )
                    .label(&fl, "here")
                    .help("list as many `referenced_columns` as `columns`, in matching order"),
                );
            }
            let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
            let name = match &fk.name {
                Some(n) => self.ident(file, n, "foreign key"),
                None => self.derived_name(
                    format!("{tn}_{}_fkey", names.join("_")),
                    &fl,
                    "foreign key",
                    "name",
                ),
            };
            let on_delete = self.fk_action(file, &fk.on_delete);
            let on_update = self.fk_action(file, &fk.on_update);
            let deferrable = self.deferrable(file, &fk.deferrable);
            fks.push(PendingFk {
                name,
                columns: cols,
                target: (fk.references.value.clone(), loc(file, &fk.references)),
                target_columns: fk
                    .referenced_columns
                    .iter()
                    .map(|c| (c.value.clone(), loc(file, c)))
                    .collect(),
                on_delete,
                on_update,
                deferrable,
                loc: fl,
            });
        }
        let mut indexes = Vec::new();
        for ix in &t.indexes {
            let il = loc(file, ix);
            let cols = self.column_list(file, &tn, &ix.columns, &t.columns, "the index");
            let mut keys: Vec<IndexKey> = cols
                .iter()
                .map(|(c, _)| IndexKey::Column(c.clone()))
                .collect();
            for e in &ix.expressions {
                if let Some(text) = self.expr(file, e, "the index expression", &mut deps) {
                    keys.push(IndexKey::Expr(text));
                }
            }
            if ix.columns.is_empty() && ix.expressions.is_empty() {
                self.err(
                    Diagnostic::error(
                        "empty-column-list",
                        "the index has no columns or expressions",
                    )
                    .label(&il, "here")
                    .help("add `columns = [\"...\"]` or `expressions = [\"...\"]`"),
                );
            }
            let name = match &ix.name {
                Some(n) => self.ident(file, n, "index"),
                None if !ix.expressions.is_empty() => {
                    self.err(
                        Diagnostic::error(
                            "index-needs-name",
                            "an index over expressions needs a name",
                        )
                        .label(&il, "no name")
                        .help(format!("add `name = \"idx_{tn}_...\"`")),
                    );
                    String::new()
                }
                None => self.derived_name(
                    format!(
                        "idx_{tn}_{}",
                        cols.iter()
                            .map(|(c, _)| c.as_str())
                            .collect::<Vec<_>>()
                            .join("_")
                    ),
                    &il,
                    "index",
                    "name",
                ),
            };
            let method = match &ix.method {
                None => "btree".to_string(),
                Some(m)
                    if ["btree", "gin", "gist", "hash", "brin", "spgist"].contains(&m.as_str()) =>
                {
                    m.value.clone()
                }
                Some(m) => {
                    self.err(
                        Diagnostic::error(
                            "invalid-value",
                            format!("`{}` is not an index method", m.value),
                        )
                        .label(&loc(file, m), "unknown method")
                        .help("use `btree`, `gin`, `gist`, `hash`, `brin` or `spgist`"),
                    );
                    "btree".to_string()
                }
            };
            let predicate = ix
                .predicate
                .as_ref()
                .and_then(|p| self.expr(file, p, "the index predicate", &mut deps));
            indexes.push(Index {
                name,
                unique: ix.unique.as_ref().is_some_and(|u| u.value),
                method,
                keys,
                predicate,
                loc: il,
            });
        }
        let rls = t.rls.as_ref().is_none_or(|r| r.value);
        let rls_reason = t.rls_reason.as_ref().map(|r| r.value.trim().to_string());
        if rls {
            if let Some(r) = &t.rls_reason {
                self.err(
                    Diagnostic::warning(
                        "orphan-key",
                        format!("table `{tn}` has `rls_reason` but RLS is on"),
                    )
                    .label(&loc(file, r), "explains nothing")
                    .help("remove `rls_reason`, or set `rls = false`"),
                );
            }
        }
        let allow = self.exemptions(file, &t.allow);
        Some((
            Table {
                name: QName::new(schema, tn),
                loc: tl,
                domain,
                description: t.description.as_ref().map(|d| d.value.clone()),
                rls,
                rls_reason,
                service_role_only: t.service_role_only.as_ref().is_some_and(|s| s.value),
                columns,
                primary_key,
                uniques,
                checks,
                foreign_keys: Vec::new(),
                indexes,
                policies: Vec::new(),
                grants: Vec::new(),
                revokes: Vec::new(),
                triggers: Vec::new(),
                allow,
                deps,
            },
            fks,
        ))
    }

    fn exemptions(
        &mut self,
        file: FileId,
        allow: &IndexMap<Sp<String>, Sp<String>>,
    ) -> Vec<Exemption> {
        let mut out = Vec::new();
        for (rule, reason) in allow {
            if reason.value.trim().is_empty() {
                self.err(
                    Diagnostic::error(
                        "exemption-without-reason",
                        format!("the exemption from `{}` gives no reason", rule.value),
                    )
                    .label(&loc(file, reason), "empty reason")
                    .help(
                        "say why the rule does not apply here, e.g. the decision and who made it",
                    ),
                );
            }
            out.push(Exemption {
                rule: rule.value.clone(),
                reason: reason.value.clone(),
                loc: loc(file, rule),
            });
        }
        out
    }

    fn foreign_key(&mut self, table_idx: usize, fk: PendingFk) {
        let (target_text, tl) = fk.target.clone();
        let target = self.qualify(&target_text);
        let this = self.ir.tables[table_idx].name.clone();
        let target_cols: Option<BTreeMap<String, String>> =
            if let Some(t) = self.table_index.get(&target).map(|&i| &self.ir.tables[i]) {
                Some(
                    t.columns
                        .iter()
                        .map(|c| (c.name.clone(), c.canonical_ty.clone()))
                        .collect(),
                )
            } else {
                self.ir
                    .project
                    .external_tables
                    .get(&target)
                    .map(|e| e.columns.clone())
            };
        let in_project = self.table_index.contains_key(&target);
        let Some(target_cols) = target_cols else {
            let names: Vec<String> = self.ir.tables.iter().map(|t| t.name.name.clone()).collect();
            let help = match did_you_mean(&target.name, names.iter().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!(
                    "declare table `{}`, or list it under `[external.tables]` in schemac.toml",
                    target.name
                ),
            };
            let what = if self
                .relations
                .get(&target)
                .is_some_and(|(k, _)| *k == ObjKind::View)
            {
                "a view, not a table"
            } else {
                "not declared"
            };
            self.err(
                Diagnostic::error(
                    "unknown-table",
                    format!(
                        "foreign key `{}` references `{target}`, which is {what}",
                        fk.name
                    ),
                )
                .label(&tl, "unknown table")
                .help(help),
            );
            return;
        };
        let mut ok = true;
        for ((col, cl), (tc, tcl)) in fk.columns.iter().zip(&fk.target_columns) {
            let Some(tty) = target_cols.get(tc) else {
                let help = match did_you_mean(tc, target_cols.keys().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("reference a column of `{target}`"),
                };
                self.err(Diagnostic::error("unknown-column", format!("foreign key `{}` references column `{tc}`, which `{target}` does not have", fk.name)).label(tcl, "unknown column").help(help));
                ok = false;
                continue;
            };
            let Some(own) = self.ir.tables[table_idx]
                .column(col)
                .map(|c| (c.canonical_ty.clone(), c.ty_loc.clone()))
            else {
                continue;
            };
            if &own.0 != tty {
                self.err(
                    Diagnostic::error(
                        "fk-type-mismatch",
                        format!(
                            "`{}.{col}` is `{}` but references `{target}.{tc}` of type `{tty}`",
                            this.name, own.0
                        ),
                    )
                    .label(cl, "referencing column")
                    .label(tcl, format!("references a `{tty}`"))
                    .help(format!(
                        "make both columns the same type (change `{col}` to `{tty}`)"
                    )),
                );
                ok = false;
            }
        }
        let target_col_names: Vec<String> =
            fk.target_columns.iter().map(|(c, _)| c.clone()).collect();
        if ok && in_project {
            let t = &self.ir.tables[self.table_index[&target]];
            let mut keyed = t
                .primary_key
                .iter()
                .map(|p| &p.columns)
                .chain(t.uniques.iter().map(|u| &u.columns));
            if !keyed.any(|k| sorted(k) == sorted(&target_col_names)) {
                self.err(
                    Diagnostic::error("fk-target-not-unique", format!("foreign key `{}` references `{target}`({}), which is neither its primary key nor unique", fk.name, target_col_names.join(", ")))
                        .label(&tl, "referenced here")
                        .help(format!("reference `{target}`'s primary key, or declare a unique constraint on ({})", target_col_names.join(", "))),
                );
            }
        }
        if in_project && target != this {
            self.ir.tables[table_idx].deps.insert(ObjRef {
                kind: ObjKind::Table,
                name: target.clone(),
            });
        }
        self.ir.tables[table_idx].foreign_keys.push(ForeignKey {
            name: fk.name,
            columns: fk.columns.into_iter().map(|(c, _)| c).collect(),
            target,
            target_in_project: in_project,
            target_columns: target_col_names,
            on_delete: fk.on_delete,
            on_update: fk.on_update,
            deferrable: fk.deferrable,
            loc: fk.loc,
        });
    }

    fn role(&mut self, file: FileId, r: &Sp<String>, what: &str) -> bool {
        if r.value == "public" || self.ir.project.roles.contains_key(&r.value) {
            return true;
        }
        let help = match did_you_mean(&r.value, self.ir.project.roles.keys().map(String::as_str)) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("declare it in schemac.toml: `[roles.{}]`", r.value),
        };
        self.err(
            Diagnostic::error(
                "unknown-role",
                format!(
                    "{what} names role `{}`, which the project does not declare",
                    r.value
                ),
            )
            .label(&loc(file, r), "unknown role")
            .help(help),
        );
        false
    }

    fn grants(
        &mut self,
        file: FileId,
        g: &IndexMap<Sp<String>, Vec<Sp<String>>>,
        what: &str,
        allowed: &[&str],
    ) -> Vec<Grant> {
        let mut out = Vec::new();
        for (role, privs) in g {
            self.role(file, role, what);
            let mut ps = Vec::new();
            for p in privs {
                let lp = p.value.to_lowercase();
                if !allowed.contains(&lp.as_str()) {
                    self.err(
                        Diagnostic::error(
                            "invalid-privilege",
                            format!("`{}` is not a privilege here", p.value),
                        )
                        .label(&loc(file, p), "unknown privilege")
                        .help(format!(
                            "use one of {}",
                            allowed
                                .iter()
                                .map(|a| format!("`{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    continue;
                }
                if !ps.contains(&lp) {
                    ps.push(lp);
                }
            }
            if privs.is_empty() {
                self.err(
                    Diagnostic::error(
                        "empty-privilege-list",
                        format!("no privileges listed for `{}`", role.value),
                    )
                    .label(&loc(file, role), "here")
                    .help("list privileges, e.g. `[\"select\"]`, or remove the role"),
                );
            }
            out.push(Grant {
                role: role.value.clone(),
                privileges: ps,
                loc: loc(file, role),
            });
        }
        out
    }

    /// Second table pass: things that refer to other objects (policies, triggers).
    fn table_late(&mut self, file: FileId, name: &Sp<String>, t: &Sp<syntax::Table>) {
        let schema = t
            .schema
            .as_ref()
            .map_or(self.ir.project.default_schema.clone(), |s| s.value.clone());
        let q = QName::new(schema, name.value.clone());
        let Some(idx) = self
            .table_index
            .get(&q)
            .copied()
            .filter(|&i| self.ir.tables[i].loc.file == file)
        else {
            return;
        };
        let tn = name.value.clone();
        let mut policies = Vec::new();
        for (pname, p) in &t.policies {
            let pn = self.ident(file, pname, "policy");
            let pl = loc(file, pname);
            let command = match p.command.as_ref().map(|c| c.value.to_lowercase()) {
                None => PolicyCommand::All,
                Some(c) => match c.as_str() {
                    "all" => PolicyCommand::All,
                    "select" => PolicyCommand::Select,
                    "insert" => PolicyCommand::Insert,
                    "update" => PolicyCommand::Update,
                    "delete" => PolicyCommand::Delete,
                    _ => {
                        let cl = loc(
                            file,
                            p.command
                                .as_ref()
                                .unwrap_or_else(|| unreachable!("matched Some")),
                        );
                        self.err(
                            Diagnostic::error(
                                "invalid-value",
                                format!("`{c}` is not a policy command"),
                            )
                            .label(&cl, "unknown command")
                            .help("use `all`, `select`, `insert`, `update` or `delete`"),
                        );
                        PolicyCommand::All
                    }
                },
            };
            let mut roles = Vec::new();
            // Unknown policy roles are the lint rule `policy-unknown-role`.
            for r in &p.roles {
                roles.push((r.value.clone(), loc(file, r)));
            }
            let mut deps = BTreeSet::new();
            deps.insert(ObjRef {
                kind: ObjKind::Table,
                name: q.clone(),
            });
            let using = p.using.as_ref().and_then(|u| {
                self.expr(file, u, &format!("the `using` of policy `{pn}`"), &mut deps)
                    .map(|e| (e, loc(file, u)))
            });
            let with_check = p.with_check.as_ref().and_then(|u| {
                self.expr(
                    file,
                    u,
                    &format!("the `with_check` of policy `{pn}`"),
                    &mut deps,
                )
                .map(|e| (e, loc(file, u)))
            });
            if command == PolicyCommand::Insert {
                if let Some(u) = &p.using {
                    self.err(
                        Diagnostic::error(
                            "policy-invalid-clause",
                            format!("policy `{pn}` is for INSERT but has `using`"),
                        )
                        .label(&loc(file, u), "not allowed for insert")
                        .help("INSERT policies take only `with_check`; move the expression there"),
                    );
                }
            }
            if matches!(command, PolicyCommand::Select | PolicyCommand::Delete) {
                if let Some(w) = &p.with_check {
                    self.err(Diagnostic::error("policy-invalid-clause", format!("policy `{pn}` is for {} but has `with_check`", command.sql())).label(&loc(file, w), "not allowed here").help("SELECT and DELETE policies take only `using`; move the expression there"));
                }
            }
            if p.using.is_none() && p.with_check.is_none() {
                self.err(Diagnostic::error("policy-without-expression", format!("policy `{pn}` has neither `using` nor `with_check`")).label(&pl, "allows nothing to be decided").help("add `using = \"...\"` (rows visible) and/or `with_check = \"...\"` (rows written)"));
            }
            policies.push(Policy {
                name: pn,
                loc: pl,
                command,
                command_loc: p.command.as_ref().map(|c| loc(file, c)),
                roles,
                permissive: p.permissive.as_ref().is_none_or(|b| b.value),
                using,
                with_check,
                comment: p.comment.as_ref().map(|c| c.value.clone()),
                deps,
            });
        }
        let grants = self.grants(file, &t.grants, &format!("a grant on `{tn}`"), PRIVILEGES);
        let revokes = self.grants(file, &t.revokes, &format!("a revoke on `{tn}`"), PRIVILEGES);
        let mut triggers = Vec::new();
        for (trname, tr) in &t.triggers {
            let n = self.ident(file, trname, "trigger");
            let timing = tr.timing.value.to_lowercase();
            if !["before", "after"].contains(&timing.as_str()) {
                let help = if timing == "instead_of" {
                    "`instead_of` triggers belong on views; on a table use `before` or `after`"
                } else {
                    "use `before` or `after`"
                };
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` is not a trigger timing for a table", tr.timing.value),
                    )
                    .label(&loc(file, &tr.timing), "here")
                    .help(help),
                );
            }
            let mut events = Vec::new();
            for e in &tr.events {
                let ev = e.value.to_lowercase();
                if ["insert", "update", "delete", "truncate"].contains(&ev.as_str()) {
                    events.push(ev);
                } else {
                    self.err(
                        Diagnostic::error(
                            "invalid-value",
                            format!("`{}` is not a trigger event", e.value),
                        )
                        .label(&loc(file, e), "here")
                        .help("use `insert`, `update`, `delete` or `truncate`"),
                    );
                }
            }
            if tr.events.is_empty() {
                self.err(
                    Diagnostic::error("invalid-value", format!("trigger `{n}` has no events"))
                        .label(&loc(file, trname), "here")
                        .help("add `events = [\"update\"]`"),
                );
            }
            let for_each_row = match tr.for_each.as_ref().map(|f| f.value.as_str()) {
                None | Some("row") => true,
                Some("statement") => false,
                Some(o) => {
                    self.err(
                        Diagnostic::error(
                            "invalid-value",
                            format!("`{o}` is not `row` or `statement`"),
                        )
                        .label(
                            &loc(
                                file,
                                tr.for_each
                                    .as_ref()
                                    .unwrap_or_else(|| unreachable!("matched Some")),
                            ),
                            "here",
                        )
                        .help("use `for_each = \"row\"` or `\"statement\"`"),
                    );
                    true
                }
            };
            let fq = self.qualify(&tr.function.value);
            if self.functions.contains_key(&fq) {
                if self.fn_returns.get(&fq).is_some_and(|r| r != "trigger") {
                    self.err(
                        Diagnostic::error(
                            "not-a-trigger-function",
                            format!(
                                "trigger `{n}` calls `{}`, which does not return `trigger`",
                                fq.name
                            ),
                        )
                        .label(&loc(file, &tr.function), "here")
                        .help(format!(
                            "declare `{}` with `returns = \"trigger\"`",
                            fq.name
                        )),
                    );
                }
            } else if !self.ir.project.external_functions.contains(&fq) {
                let names: Vec<String> = self.functions.keys().map(|k| k.name.clone()).collect();
                let help = match did_you_mean(&fq.name, names.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!(
                        "declare `[functions.{}]` with `returns = \"trigger\"`",
                        fq.name
                    ),
                };
                self.err(
                    Diagnostic::error(
                        "unknown-function",
                        format!("trigger `{n}` calls `{}`, which is not declared", fq.name),
                    )
                    .label(&loc(file, &tr.function), "unknown function")
                    .help(help),
                );
            }
            let mut cond_deps = BTreeSet::new();
            let condition = tr.condition.as_ref().and_then(|c| {
                self.expr(
                    file,
                    c,
                    &format!("the `when` of trigger `{n}`"),
                    &mut cond_deps,
                )
            });
            triggers.push(Trigger {
                name: n,
                loc: loc(file, trname),
                timing,
                events,
                for_each_row,
                function: fq,
                condition,
            });
        }
        let table = &mut self.ir.tables[idx];
        table.policies = policies;
        table.grants = grants;
        table.revokes = revokes;
        table.triggers = triggers;
    }

    // ---------------------------------------------------------------- views

    fn view(&mut self, file: FileId, domain: DomainId, name: &Sp<String>, v: &Sp<syntax::View>) {
        let n = self.ident(file, name, "view");
        let schema = self.schema_of(file, &v.schema);
        let mut deps = BTreeSet::new();
        let mut reads = BTreeSet::new();
        if let Some(refs) = self.sql(
            file,
            &v.query,
            FragmentKind::Query,
            &format!("the query of view `{n}`"),
        ) {
            self.resolve_refs(
                file,
                &v.query,
                &refs,
                &format!("view `{n}`"),
                &mut deps,
                &mut reads,
            );
        }
        let q = QName::new(schema, n.clone());
        deps.remove(&ObjRef {
            kind: ObjKind::View,
            name: q.clone(),
        });
        let materialized = v.materialized.as_ref().is_some_and(|m| m.value);
        let check_option = match &v.check_option {
            None => None,
            Some(c) if c.value == "local" || c.value == "cascaded" => Some(c.value.clone()),
            Some(c) => {
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` is not a check option", c.value),
                    )
                    .label(&loc(file, c), "here")
                    .help("use `local` or `cascaded`"),
                );
                None
            }
        };
        if materialized {
            for (k, present) in [
                (
                    "security_invoker",
                    v.security_invoker
                        .as_ref()
                        .filter(|s| s.value)
                        .map(|s| loc(file, s)),
                ),
                (
                    "check_option",
                    v.check_option.as_ref().map(|s| loc(file, s)),
                ),
            ] {
                if let Some(l) = present {
                    self.err(
                        Diagnostic::error(
                            "conflicting-keys",
                            format!("a materialized view cannot have `{k}`"),
                        )
                        .label(&l, "not supported for materialized views")
                        .help(format!("remove `{k}`, or make `{n}` a plain view")),
                    );
                }
            }
        }
        let grants = self.grants(file, &v.grants, &format!("a grant on `{n}`"), PRIVILEGES);
        let revokes = self.grants(file, &v.revokes, &format!("a revoke on `{n}`"), PRIVILEGES);
        let allow = self.exemptions(file, &v.allow);
        self.ir.views.push(View {
            name: q,
            loc: loc(file, name),
            domain,
            query: v
                .query
                .value
                .trim()
                .trim_end_matches(';')
                .trim_end()
                .to_string(),
            query_loc: loc(file, &v.query),
            security_invoker: v.security_invoker.as_ref().is_some_and(|s| s.value),
            check_option,
            materialized,
            comment: v.comment.as_ref().map(|c| c.value.clone()),
            grants,
            revokes,
            allow,
            deps,
            reads,
        });
    }

    // ---------------------------------------------------------------- functions

    fn function(
        &mut self,
        file: FileId,
        domain: DomainId,
        name: &Sp<String>,
        f: &Sp<syntax::Function>,
    ) {
        let n = self.ident(file, name, "function");
        let schema = self.schema_of(file, &f.schema);
        let q = QName::new(schema, n.clone());
        let mut deps = BTreeSet::new();
        let mut arguments = Vec::new();
        for a in &f.arguments {
            let an = self.ident(file, &a.name, "argument");
            let ty = self
                .column_type(file, &a.ty, &mut deps, true)
                .map(|(d, _)| d)
                .unwrap_or_else(|| a.ty.value.clone());
            let default = a.default.as_ref().and_then(|d| {
                self.expr(
                    file,
                    d,
                    &format!("the default of argument `{an}`"),
                    &mut deps,
                )
            });
            arguments.push(Argument {
                name: an,
                ty,
                default,
            });
        }
        let returns = self.return_type(file, &f.returns, &mut deps);
        let language = f.language.value.to_lowercase();
        match language.as_str() {
            "sql" => {
                if let Some(refs) = self.sql(
                    file,
                    &f.body,
                    FragmentKind::Statements,
                    &format!("the body of `{n}`"),
                ) {
                    let mut reads = BTreeSet::new();
                    self.resolve_refs(
                        file,
                        &f.body,
                        &refs,
                        &format!("function `{n}`"),
                        &mut deps,
                        &mut reads,
                    );
                }
            }
            "plpgsql" => {}
            _ => self.err(
                Diagnostic::error(
                    "invalid-value",
                    format!(
                        "`{}` is not a supported function language",
                        f.language.value
                    ),
                )
                .label(&loc(file, &f.language), "here")
                .help("use `plpgsql` or `sql`"),
            ),
        }
        if f.body.value.contains("$schemac$") {
            self.err(
                Diagnostic::error(
                    "invalid-body",
                    "the body contains `$schemac$`, the dollar quote schemac wraps bodies in",
                )
                .label(&loc(file, &f.body), "here")
                .help("remove `$schemac$` from the body"),
            );
        }
        deps.remove(&ObjRef {
            kind: ObjKind::Function,
            name: q.clone(),
        });
        let volatility = match f.volatility.as_ref().map(|v| v.value.to_lowercase()) {
            None => "volatile".to_string(),
            Some(v) if ["volatile", "stable", "immutable"].contains(&v.as_str()) => v,
            Some(v) => {
                self.err(
                    Diagnostic::error("invalid-value", format!("`{v}` is not a volatility"))
                        .label(
                            &loc(
                                file,
                                f.volatility
                                    .as_ref()
                                    .unwrap_or_else(|| unreachable!("matched Some")),
                            ),
                            "here",
                        )
                        .help("use `volatile`, `stable` or `immutable`"),
                );
                "volatile".into()
            }
        };
        if let Some(sp) = &f.search_path {
            if !sp.value.split(',').all(|s| {
                let s = s.trim();
                s.is_empty()
                    || s.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '"')
            }) {
                self.err(Diagnostic::error("invalid-value", format!("`{}` is not a search_path", sp.value)).label(&loc(file, sp), "here").help("list schema names separated by commas, e.g. `\"public, extensions\"`, or `\"\"` for none"));
            }
        }
        let roles = |this: &mut Self, v: &Vec<Sp<String>>| {
            v.iter()
                .map(|r| {
                    this.role(file, r, &format!("function `{n}`"));
                    (r.value.clone(), loc(file, r))
                })
                .collect::<Vec<_>>()
        };
        let grant_execute = roles(self, &f.grant_execute);
        let revoke_execute = roles(self, &f.revoke_execute);
        let allow = self.exemptions(file, &f.allow);
        self.ir.functions.push(Function {
            name: q,
            loc: loc(file, name),
            domain,
            arguments,
            returns,
            language,
            body: f.body.value.clone(),
            body_loc: loc(file, &f.body),
            volatility,
            security_definer: f.security_definer.as_ref().is_some_and(|s| s.value),
            search_path: f.search_path.as_ref().map(|s| s.value.clone()),
            comment: f.comment.as_ref().map(|c| c.value.clone()),
            grant_execute,
            revoke_execute,
            allow,
            deps,
        });
    }

    fn return_type(&mut self, file: FileId, r: &Sp<String>, deps: &mut BTreeSet<ObjRef>) -> String {
        let text = r.value.trim();
        let lower = text.to_lowercase();
        if RETURN_PSEUDO.contains(&lower.as_str()) {
            return lower;
        }
        if let Some(rest) = lower.strip_prefix("setof ") {
            let sp = Sp::new(rest.trim().to_string(), r.span.clone());
            return match self.column_type(file, &sp, deps, true) {
                Some((d, _)) => format!("setof {d}"),
                None => text.to_string(),
            };
        }
        if lower.starts_with("table")
            && lower[5..].trim_start().starts_with('(')
            && lower.ends_with(')')
        {
            let inner = &text[text.find('(').unwrap_or(0) + 1..text.len() - 1];
            let mut cols = Vec::new();
            for part in split_top_level(inner) {
                let part = part.trim();
                let Some((cn, ty)) = part.split_once(char::is_whitespace) else {
                    self.err(
                        Diagnostic::error("invalid-type", format!("`{part}` is not `name type`"))
                            .label(&loc(file, r), "in this return type")
                            .help("write `table(name type, ...)`"),
                    );
                    continue;
                };
                let sp = Sp::new(ty.trim().to_string(), r.span.clone());
                if let Some((d, _)) = self.column_type(file, &sp, deps, true) {
                    cols.push(format!("{} {d}", crate::emit::quote_ident(cn)));
                }
            }
            return format!("TABLE({})", cols.join(", "));
        }
        let sp = Sp::new(text.to_string(), r.span.clone());
        self.column_type(file, &sp, deps, true)
            .map(|(d, _)| d)
            .unwrap_or_else(|| text.to_string())
    }

    // ---------------------------------------------------------------- raw SQL

    fn raw(&mut self, file: FileId, domain: DomainId, name: &Sp<String>, r: &Sp<syntax::RawSql>) {
        let n = self.ident(file, name, "raw SQL block");
        let mut deps = BTreeSet::new();
        for d in &r.depends_on {
            let q = self.qualify(&d.value);
            if let Some((kind, _)) = self.relations.get(&q) {
                deps.insert(ObjRef {
                    kind: *kind,
                    name: q,
                });
            } else if self.functions.contains_key(&q) {
                deps.insert(ObjRef {
                    kind: ObjKind::Function,
                    name: q,
                });
            } else {
                self.err(
                    Diagnostic::error(
                        "unknown-dependency",
                        format!(
                            "raw SQL `{n}` depends on `{}`, which is not declared",
                            d.value
                        ),
                    )
                    .label(&loc(file, d), "unknown object")
                    .help("name a table, view, enum or function of this project"),
                );
            }
        }
        if r.reason.value.trim().is_empty() {
            self.err(
                Diagnostic::error(
                    "raw-without-reason",
                    format!("raw SQL `{n}` gives no reason"),
                )
                .label(&loc(file, &r.reason), "empty")
                .help("say why the language cannot express this SQL"),
            );
        }
        if r.sql.value.trim().is_empty() {
            self.err(
                Diagnostic::error("invalid-value", format!("raw SQL `{n}` is empty"))
                    .label(&loc(file, &r.sql), "empty")
                    .help("write the statements, or remove the block"),
            );
        }
        self.ir.raws.push(Raw {
            name: n,
            loc: loc(file, name),
            domain,
            sql: r.sql.value.clone(),
            rollback: r.rollback.as_ref().map(|s| s.value.clone()),
            reason: r.reason.value.clone(),
            deps,
        });
    }

    // ---------------------------------------------------------------- data loss

    fn accept_loss(&mut self, file: FileId, a: &Sp<syntax::AcceptDataLoss>) {
        const CHANGES: [&str; 5] = [
            "drop_table",
            "drop_column",
            "change_type",
            "drop_enum_value",
            "add_not_null_column",
        ];
        if !CHANGES.contains(&a.change.as_str()) {
            self.err(
                Diagnostic::error(
                    "invalid-value",
                    format!("`{}` is not a kind of data-losing change", a.change.value),
                )
                .label(&loc(file, &a.change), "unknown change")
                .help(format!(
                    "use one of {}",
                    CHANGES.map(|c| format!("`{c}`")).join(", ")
                )),
            );
        }
        if a.reason.value.trim().is_empty() {
            self.err(
                Diagnostic::error(
                    "accept-loss-without-reason",
                    "accepting data loss needs a reason",
                )
                .label(&loc(file, &a.reason), "empty")
                .help("say why losing this data is acceptable"),
            );
        }
        self.ir.accepted_losses.push(AcceptedLoss {
            change: a.change.value.clone(),
            object: a.object.value.clone(),
            reason: a.reason.value.clone(),
            loc: loc(file, a),
        });
    }

    // ---------------------------------------------------------------- renames

    fn renames(&mut self, file: FileId, domain: DomainId, r: &Sp<syntax::Renames>) {
        for (from, tr) in &r.tables {
            let from_name = self.ident(file, from, "table");
            let to_name = self.ident(file, &tr.to, "table");
            let fq = self.qualify(&from_name);
            let tq = self.qualify(&to_name);
            if let Some((kind, l)) = self.relations.get(&fq).cloned().filter(|_| fq != tq) {
                self.err(
                    Diagnostic::error("rename-source-exists", format!("`{}` is renamed to `{}`, but a {kind} named `{}` is still declared", fq.name, tq.name, fq.name))
                        .label(&loc(file, from), "old name")
                        .label(&l, "still declared here")
                        .help(format!("remove the old declaration (its columns now live in `{}`), or remove the rename", tq.name)),
                );
            }
            if fq == tq {
                self.err(
                    Diagnostic::error(
                        "rename-to-itself",
                        format!("`{}` is renamed to itself", fq.name),
                    )
                    .label(&loc(file, &tr.to), "same name")
                    .help("remove the rename"),
                );
            }
            if tr.reason.value.trim().is_empty() {
                self.err(
                    Diagnostic::error(
                        "rename-without-reason",
                        format!("the rename of `{}` gives no reason", fq.name),
                    )
                    .label(&loc(file, &tr.reason), "empty")
                    .help("say why the table was renamed"),
                );
            }
            if self.ir.table_renames.iter().any(|x| x.from == fq) {
                self.err(
                    Diagnostic::error(
                        "duplicate-rename",
                        format!("`{}` is renamed twice", fq.name),
                    )
                    .label(&loc(file, from), "renamed again here")
                    .help("keep one rename per old name"),
                );
                continue;
            }
            self.ir.table_renames.push(TableRename {
                from: fq,
                to: tq,
                reason: tr.reason.value.clone(),
                compat_view: tr.compat_view.as_ref().is_some_and(|c| c.value),
                loc: loc(file, from),
                to_loc: loc(file, &tr.to),
                domain,
            });
        }
        for cr in &r.columns {
            let tq = self.qualify(&cr.table.value);
            let from = self.ident(file, &cr.from, "column");
            let to = self.ident(file, &cr.to, "column");
            match self.ir.tables.iter().find(|t| t.name == tq).cloned() {
                None => self.err(
                    Diagnostic::error(
                        "unknown-table",
                        format!(
                            "column rename names table `{}`, which is not declared",
                            cr.table.value
                        ),
                    )
                    .label(&loc(file, &cr.table), "unknown table")
                    .help("name the table by its current name"),
                ),
                Some(t) => {
                    if t.column(&to).is_none() {
                        self.err(
                            Diagnostic::error(
                                "unknown-column",
                                format!(
                                    "column rename targets `{}.{to}`, which is not declared",
                                    tq.name
                                ),
                            )
                            .label(&loc(file, &cr.to), "unknown column")
                            .help(format!("declare column `{to}` in `{}`", tq.name)),
                        );
                    }
                    if let Some(c) = t.column(&from) {
                        let cl = c.loc.clone();
                        self.err(
                            Diagnostic::error(
                                "rename-source-exists",
                                format!(
                                    "column `{from}` is renamed to `{to}` but is still declared"
                                ),
                            )
                            .label(&loc(file, &cr.from), "old name")
                            .label(&cl, "still declared here")
                            .help("remove the old column"),
                        );
                    }
                }
            }
            if cr.reason.value.trim().is_empty() {
                self.err(
                    Diagnostic::error(
                        "rename-without-reason",
                        format!("the rename of column `{from}` gives no reason"),
                    )
                    .label(&loc(file, &cr.reason), "empty")
                    .help("say why the column was renamed"),
                );
            }
            self.ir.column_renames.push(ColumnRename {
                table: tq,
                from,
                to,
                reason: cr.reason.value.clone(),
                loc: loc(file, cr),
            });
        }
    }

    /// Each rename chain (`a -> b`, `b -> c`) must end in a declared table, without loops.
    fn check_rename_chains(&mut self) {
        let map: BTreeMap<QName, QName> = self
            .ir
            .table_renames
            .iter()
            .map(|r| (r.from.clone(), r.to.clone()))
            .collect();
        let renames = self.ir.table_renames.clone();
        // Self-renames are reported on their own (`rename-to-itself`).
        for r in renames.iter().filter(|r| r.from != r.to) {
            let mut chain = vec![r.from.clone()];
            let mut cur = r.to.clone();
            loop {
                if cur == r.from {
                    // A loop is reported once, at its smallest member.
                    if chain.iter().all(|q| q >= &r.from) {
                        let names = chain
                            .iter()
                            .map(|q| format!("`{}`", q.name))
                            .collect::<Vec<_>>()
                            .join(" -> ");
                        self.err(
                            Diagnostic::error(
                                "rename-cycle",
                                format!("the renames {names} -> `{}` form a loop", r.from.name),
                            )
                            .label(&r.loc, "this rename leads back to itself")
                            .help("remove one rename of the loop"),
                        );
                    }
                    break;
                }
                if chain.contains(&cur) {
                    break; // a loop further along, reported at its own members
                }
                match map.get(&cur).filter(|next| **next != cur) {
                    Some(next) => {
                        chain.push(cur.clone());
                        cur = next.clone();
                    }
                    None => {
                        if self
                            .relations
                            .get(&cur)
                            .is_none_or(|(k, _)| *k != ObjKind::Table)
                        {
                            let names: Vec<String> =
                                self.ir.tables.iter().map(|t| t.name.name.clone()).collect();
                            let help =
                                match did_you_mean(&cur.name, names.iter().map(String::as_str)) {
                                    Some(c) => format!("did you mean `{c}`?"),
                                    None => format!(
                                        "declare table `{}`, or rename to a declared table",
                                        cur.name
                                    ),
                                };
                            self.err(
                                Diagnostic::error(
                                    "rename-target-missing",
                                    format!(
                                        "`{}` is renamed to `{}`, which is not a declared table",
                                        r.from.name, cur.name
                                    ),
                                )
                                .label(&r.to_loc, "not declared")
                                .help(help),
                            );
                        }
                        break;
                    }
                }
            }
        }
    }

    /// Indexes and index-backed constraints share the relation namespace of their
    /// schema; constraint names must be unique per table.
    fn check_relation_namespace(&mut self) {
        let mut seen: BTreeMap<QName, Loc> = self
            .relations
            .iter()
            .map(|(q, (_, l))| (q.clone(), l.clone()))
            .collect();
        let mut problems = Vec::new();
        for t in &self.ir.tables {
            let mut names: Vec<(&str, &Loc, bool)> = Vec::new();
            if let Some(pk) = &t.primary_key {
                names.push((&pk.name, &pk.loc, true));
            }
            for u in &t.uniques {
                names.push((&u.name, &u.loc, true));
            }
            for i in &t.indexes {
                names.push((&i.name, &i.loc, true));
            }
            // Constraint names are unique per table, whatever their kind.
            let mut constraint_names: BTreeMap<&str, &Loc> = BTreeMap::new();
            let all = t
                .primary_key
                .iter()
                .map(|p| (&p.name, &p.loc))
                .chain(t.uniques.iter().map(|u| (&u.name, &u.loc)))
                .chain(t.checks.iter().map(|c| (&c.name, &c.loc)))
                .chain(t.foreign_keys.iter().map(|f| (&f.name, &f.loc)));
            for (n, l) in all {
                if let Some(prev) = constraint_names.insert(n, l) {
                    problems.push((n.clone(), l.clone(), prev.clone()));
                }
            }
            for (n, l, relation) in names {
                if n.is_empty() {
                    continue;
                }
                if relation {
                    let q = QName::new(t.name.schema.clone(), n);
                    if let Some(prev) = seen.get(&q) {
                        problems.push((n.to_string(), l.clone(), prev.clone()));
                    } else {
                        seen.insert(q, l.clone());
                    }
                }
            }
        }
        for (n, l, prev) in problems {
            self.err(
                Diagnostic::error("duplicate-name", format!("the name `{n}` is used twice"))
                    .label(&l, "used again here")
                    .label(&prev, "first used here")
                    .help("constraint names are unique per table, and indexes, key constraints, tables and views share one namespace per schema; give one of them another `name`"),
            );
        }
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Splits on commas that are not inside parentheses (`numeric(10,2)` stays whole).
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}
