//! The project file and the domains: roles, externals, naming settings, declarations.

use super::*;

impl Lowerer<'_> {
    // ---------------------------------------------------------------- project

    /// `[extensions.<name>]`: what it brings comes from the catalog, or from the TOML for
    /// an extension the catalog does not know.
    fn extension(&mut self, file: FileId, name: &Sp<String>, decl: &Sp<syntax::ExtensionDecl>) {
        let l = loc(file, name);
        if name.value.is_empty() || name.value.chars().any(|c| c.is_control() || c == '"') {
            self.err(
                Diagnostic::error("invalid-value", format!("`{}` is not an extension name", name.value))
                    .label(&l, "not an extension name")
                    .help("use the extension's name as `CREATE EXTENSION` takes it, such as `pg_trgm` or `uuid-ossp`"),
            );
            return;
        }
        let schema = decl.schema.as_ref().map(|s| self.ident(file, s, "schema"));
        let version = decl.version.as_ref().map(|v| v.value.clone());
        let mut provides = crate::ir::extensions::known(&name.value)
            .cloned()
            .unwrap_or_default();
        let declared = !(decl.types.is_empty()
            && decl.functions.is_empty()
            && decl.opclasses.is_empty()
            && decl.methods.is_empty());
        if crate::ir::extensions::known(&name.value).is_none() && !declared {
            let help = match did_you_mean(&name.value, crate::ir::extensions::known_names()) {
                Some(s) => format!("did you mean `{s}`? Otherwise list what the project uses of it: `types`, `functions`, `opclasses`, `methods`"),
                None => "list what the project uses of it: `types`, `functions`, `opclasses`, `methods`".into(),
            };
            self.err(
                Diagnostic::warning(
                    "unknown-extension",
                    format!(
                        "schemac does not know what extension `{}` brings",
                        name.value
                    ),
                )
                .label(&l, "unknown extension")
                .help(help),
            );
        }
        for t in &decl.types {
            provides.types.insert(t.value.to_lowercase());
        }
        for f in &decl.functions {
            provides
                .functions
                .entry(f.value.clone())
                .or_default()
                .at_least = Some(0);
        }
        for o in &decl.opclasses {
            provides.opclasses.insert(o.value.clone());
        }
        for m in &decl.methods {
            provides.methods.insert(m.value.clone());
        }
        self.ir.project.extensions.insert(
            name.value.clone(),
            Extension {
                schema,
                version,
                provides,
                loc: Some(l),
            },
        );
    }

    pub(super) fn project(&mut self, file: FileId, p: &syntax::ProjectFile) {
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
        self.ir.project.platform = match proj.platform.as_ref().map(|p| (p, p.value.as_str())) {
            None | Some((_, "postgres")) => Platform::Postgres,
            Some((_, "supabase")) => Platform::Supabase,
            Some((p, other)) => {
                self.err(
                    Diagnostic::error("invalid-value", format!("`{other}` is not a platform"))
                        .label(&loc(file, p), "unknown platform")
                        .help("use `postgres` (plain PostgreSQL) or `supabase`"),
                );
                Platform::Postgres
            }
        };
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
        for (name, decl) in &p.extensions {
            self.extension(file, name, decl);
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

    pub(super) fn domain(&mut self, file: FileId, d: &syntax::DomainFile) -> DomainId {
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
    pub(super) fn declare(&mut self, file: FileId, d: &syntax::DomainFile, _id: DomainId) {
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
            if let Some(cols) = crate::ir::view_columns::output_columns(&v.query.value) {
                let schema = v
                    .schema
                    .as_ref()
                    .map_or(self.ir.project.default_schema.clone(), |s| s.value.clone());
                self.view_columns
                    .insert(QName::new(schema, n.value.clone()), cols);
            }
        }
        for (n, f) in &d.functions {
            decl(self, ObjKind::Function, &f.schema, n);
            let schema = f
                .schema
                .as_ref()
                .map_or(self.ir.project.default_schema.clone(), |s| s.value.clone());
            let all = f.arguments.len();
            let defaulted = f
                .arguments
                .iter()
                .rev()
                .take_while(|a| a.value.default.is_some())
                .count();
            self.fn_arity.insert(
                QName::new(schema.clone(), n.value.clone()),
                (all - defaulted, all),
            );
            self.fn_returns.insert(
                QName::new(schema, n.value.clone()),
                f.returns.value.trim().to_lowercase(),
            );
        }
    }
}
