//! Views, functions and raw SQL.

use super::*;

impl Lowerer<'_> {
    // ---------------------------------------------------------------- views

    pub(super) fn view(
        &mut self,
        file: FileId,
        domain: DomainId,
        name: &Sp<String>,
        v: &Sp<syntax::View>,
    ) {
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
            self.check_columns(
                file,
                &v.query,
                true,
                &[],
                &format!("the query of view `{n}`"),
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
            query: super::fragments::closed_fragment(
                v.query.value.trim().trim_end_matches(';').trim_end(),
            ),
            query_loc: loc(file, &v.query),
            security_invoker: v.security_invoker.as_ref().is_some_and(|s| s.value),
            security_barrier: v.security_barrier.as_ref().is_some_and(|s| s.value),
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

    pub(super) fn function(
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
                    // Arguments, and the output columns of `returns = "table(...)"`.
                    let mut names: Vec<String> = arguments.iter().map(|a| a.name.clone()).collect();
                    names.extend(super::bodies::returns_table_columns(&f.returns.value));
                    self.check_body_columns(
                        file,
                        &f.body,
                        &n,
                        &names,
                        &format!("the body of `{n}`"),
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
        let api_reason = f.api_reason.as_ref().and_then(|r| {
            if r.value.trim().is_empty() {
                self.err(
                    Diagnostic::error("exemption-without-reason", format!("function `{n}` has an empty `api_reason`"))
                        .label(&loc(file, r), "empty")
                        .help("say why API callers need to execute this function, or remove `api_reason`"),
                );
                return None;
            }
            if !f.security_definer.as_ref().is_some_and(|s| s.value) {
                self.err(
                    Diagnostic::warning("orphan-key", format!("function `{n}` has `api_reason` but is not security definer"))
                        .label(&loc(file, r), "explains nothing")
                        .help("remove `api_reason`: a function that runs with its caller's rights needs no reason to be executable"),
                );
            }
            Some((r.value.trim().to_string(), loc(file, r)))
        });
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
            api_reason,
            allow,
            deps,
        });
    }

    pub(super) fn return_type(
        &mut self,
        file: FileId,
        r: &Sp<String>,
        deps: &mut BTreeSet<ObjRef>,
    ) -> String {
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

    pub(super) fn raw(
        &mut self,
        file: FileId,
        domain: DomainId,
        name: &Sp<String>,
        r: &Sp<syntax::RawSql>,
    ) {
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
            } else if self.raw_functions.contains_key(&q) {
                deps.extend(self.raw_function_deps(&q));
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
                    .help(
                        match did_you_mean(
                            &q.name,
                            self.relations
                                .keys()
                                .chain(self.functions.keys())
                                .map(|k| k.name.as_str()),
                        ) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "name a table, view, enum or function of this project, or a relation or function a raw block creates".to_string(),
                        },
                    ),
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
        let creates = self.raw_creates_of(&name.value, &mut deps);
        self.ir.raws.push(Raw {
            name: n,
            loc: loc(file, name),
            domain,
            sql: r.sql.value.clone(),
            rollback: r.rollback.as_ref().map(|s| s.value.clone()),
            reason: r.reason.value.clone(),
            deps,
            creates,
        });
    }
}
