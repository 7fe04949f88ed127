//! SQL fragments and types: parsing, reference resolution, column types.

use super::*;

impl Lowerer<'_> {
    // ---------------------------------------------------------------- SQL fragments

    /// Parses a fragment; on error reports it at the exact place inside the TOML string.
    pub(super) fn sql(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        kind: FragmentKind,
        what: &str,
    ) -> Option<SqlRefs> {
        let parsed = self
            .fragments
            .entry((kind, v.value.clone()))
            .or_insert_with(|| parse_fragment(kind, &v.value))
            .clone();
        match parsed {
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
    pub(super) fn resolve_refs(
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
                if *kind == ObjKind::Table {
                    deps.extend(self.raw_column_deps(&q));
                }
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
                let help = match did_you_mean(&q.name, self.relations.keys().map(|k| k.name.as_str())) {
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
        for (func, calls) in &refs.functions {
            self.resolve_call(file, v, what, func, calls, deps);
        }
    }

    /// Checks one function a fragment calls: a project function (a dependency, its
    /// argument counts checked), a declared external one, or a PostgreSQL built-in (its
    /// argument counts checked); anything else is `unknown-function`.
    fn resolve_call(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        what: &str,
        func: &[String],
        calls: &BTreeSet<usize>,
        deps: &mut BTreeSet<ObjRef>,
    ) {
        let (q, qualified) = match func {
            [n] => (
                QName::new(self.ir.project.default_schema.clone(), n.clone()),
                false,
            ),
            [s, n] => (QName::new(s.clone(), n.clone()), true),
            _ => return,
        };
        let span = || {
            find_word(&v.value, &q.name)
                .map(|r| span_in_value(self.text(file), &v.span, r))
                .unwrap_or(v.span.clone())
        };
        let called: Vec<usize> = calls
            .iter()
            .copied()
            .filter(|n| *n != NO_PARENTHESES)
            .collect();
        if self.raw_functions.contains_key(&q) {
            // Created by raw blocks (overloads, say): its arguments are not known.
            deps.extend(self.raw_function_deps(&q));
            if self.fn_arity.contains_key(&q) {
                deps.insert(ObjRef {
                    kind: ObjKind::Function,
                    name: q,
                });
            }
            return;
        }
        if let Some(&(lo, hi)) = self.fn_arity.get(&q) {
            deps.insert(ObjRef {
                kind: ObjKind::Function,
                name: q.clone(),
            });
            if let Some(n) = called.iter().find(|n| **n < lo || **n > hi) {
                let takes = if lo == hi {
                    format!("{lo}")
                } else {
                    format!("{lo} to {hi}")
                };
                let l = Loc::new(file, span());
                self.err(
                    Diagnostic::error(
                        "wrong-argument-count",
                        format!("{what} calls `{}()` with {n} argument(s), but it takes {takes}", q.name),
                    )
                    .label(&l, "this call")
                    .help("pass the arguments the function declares (those with a default may be left out)"),
                );
            }
            return;
        }
        if qualified && self.ir.project.external_functions.contains(&q) {
            return;
        }
        if qualified && q.schema != "pg_catalog" && SYSTEM_SCHEMAS.contains(&q.schema.as_str()) {
            return;
        }
        let builtin_ok = !qualified || q.schema == "pg_catalog";
        if builtin_ok {
            if let Some(a) = crate::ir::builtins::builtin(&q.name) {
                self.arity_mismatch(
                    Loc::new(file, span()),
                    what,
                    &q.name,
                    &called,
                    a,
                    "PostgreSQL",
                );
                return;
            }
            // Written like calls, but PostgreSQL's grammar, not pg_proc, knows them.
            let name = q.name.as_str();
            if crate::ir::pg_keywords::CALL_FORMS.contains(&name)
                || crate::ir::pg_keywords::EXPRESSION_KEYWORDS.contains(&name)
                || called.is_empty()
            {
                return;
            }
        }
        if !qualified
            && self
                .ir
                .project
                .external_functions
                .iter()
                .any(|f| f.name == q.name)
        {
            // Reached through the search_path (an extension's function, on Supabase).
            return;
        }
        // A function of a declared extension, through the search path or qualified with
        // the extension's schema (pg_net's `net`, pg_cron's `cron` are their own).
        let mut from_extension = None;
        for (name, e) in &self.ir.project.extensions {
            if let Some(a) = e.provides.functions.get(&q.name) {
                from_extension = Some((name.clone(), a.clone()));
                break;
            }
        }
        if let Some((ext, a)) = from_extension {
            let whose = format!("extension `{ext}`");
            self.arity_mismatch(Loc::new(file, span()), what, &q.name, &called, &a, &whose);
            return;
        }
        let shown = if qualified {
            q.to_string()
        } else {
            q.name.clone()
        };
        // Suggestions from where the call looks: the schema it names, or (unqualified)
        // the built-ins and the project's functions.
        let mut candidates: Vec<&str> = Vec::new();
        if builtin_ok {
            for n in crate::ir::builtins::names() {
                candidates.push(n);
            }
            candidates.extend(self.fn_arity.keys().map(|k| k.name.as_str()));
        } else {
            candidates.extend(
                self.fn_arity
                    .keys()
                    .chain(self.ir.project.external_functions.iter())
                    .filter(|k| k.schema == q.schema)
                    .map(|k| k.name.as_str()),
            );
        }
        let suggestion = did_you_mean(&q.name, candidates).map(|c| {
            if qualified && !builtin_ok {
                format!("{}.{c}", q.schema)
            } else {
                c.to_string()
            }
        });
        let extension = crate::ir::extensions::known_names().find(|e| {
            crate::ir::extensions::known(e).is_some_and(|p| p.functions.contains_key(&q.name))
        });
        let help = match (extension, suggestion) {
            (Some(e), _) => format!("`{}()` comes with extension `{e}`: declare `[extensions.{e}]` in schemac.toml", q.name),
            (None, Some(c)) => format!("did you mean `{c}()`? Otherwise declare `{shown}` in this project, or in `[external] functions` in schemac.toml"),
            (None, None) => format!("declare it in this project, or add \"{}\" to `[external] functions` in schemac.toml", if qualified { q.to_string() } else { format!("<schema>.{}", q.name) }),
        };
        let l = Loc::new(file, span());
        self.err(
            Diagnostic::error(
                "unknown-function",
                format!(
                    "{what} calls `{shown}()`, which is not declared and not a PostgreSQL function"
                ),
            )
            .label(&l, "unknown function")
            .help(help),
        );
    }

    /// Parses and resolves an expression fragment; returns the text if it parsed.
    pub(super) fn expr(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        what: &str,
        deps: &mut BTreeSet<ObjRef>,
    ) -> Option<String> {
        let refs = self.sql(file, v, FragmentKind::Expr, what)?;
        let mut reads = BTreeSet::new();
        self.resolve_refs(file, v, &refs, what, deps, &mut reads);
        if let FragmentScope::Relations(base) = self.fragment_scope.clone() {
            self.check_columns(file, v, false, &base, what);
        }
        Some(closed_fragment(v.value.trim()))
    }

    /// The columns a relation named in a fragment's `FROM` has, when schemac knows them:
    /// project tables and declared external tables (views, CTEs and the rest: `None`).
    pub(super) fn columns_of(
        &self,
        parts: &[String],
        enums: &BTreeMap<String, Vec<String>>,
    ) -> Option<crate::ir::columns::ScopeRelation> {
        let q = match parts {
            [n] => QName::new(self.ir.project.default_schema.clone(), n.clone()),
            [s, n] | [_, s, n] => QName::new(s.clone(), n.clone()),
            _ => return None,
        };
        if let Some(&i) = self.table_index.get(&q) {
            return Some(self.table_scope(i, enums));
        }
        if let Some(cols) = self.view_columns.get(&q) {
            return Some(crate::ir::columns::ScopeRelation {
                name: q.name.clone(),
                columns: Some(cols.clone()),
                enums: Vec::new(),
            });
        }
        self.ir
            .project
            .external_tables
            .get(&q)
            .map(|t| crate::ir::columns::ScopeRelation {
                name: q.name.clone(),
                columns: Some(t.columns.keys().cloned().collect()),
                enums: Vec::new(),
            })
    }

    /// Each enum type, as a column may write it (`status`, `public.status`,
    /// `"public"."status"`), to its values. Built once per number of lowered enums, not
    /// once per fragment.
    pub(super) fn enum_types(&self) -> std::rc::Rc<BTreeMap<String, Vec<String>>> {
        let mut cache = self.enum_types.borrow_mut();
        if let Some((n, m)) = cache.as_ref() {
            if *n == self.ir.enums.len() {
                return m.clone();
            }
        }
        let mut m = BTreeMap::new();
        for e in &self.ir.enums {
            if e.name.schema == self.ir.project.default_schema {
                m.insert(e.name.name.clone(), e.values.clone());
            }
            m.insert(
                format!("{}.{}", e.name.schema, e.name.name),
                e.values.clone(),
            );
            // As a lowered column writes it.
            m.insert(crate::emit::quote_qname(&e.name), e.values.clone());
        }
        let m = std::rc::Rc::new(m);
        *cache = Some((self.ir.enums.len(), m.clone()));
        m
    }

    /// A fragment's syntax tree, parsed once per text (`None`: it does not parse).
    fn parsed_fragment(
        &mut self,
        text: &str,
        query: bool,
    ) -> Option<std::rc::Rc<crate::ir::columns::ParsedFragment>> {
        self.parsed
            .entry((query, text.to_string()))
            .or_insert_with(|| {
                crate::ir::columns::ParsedFragment::parse(text, query).map(std::rc::Rc::new)
            })
            .clone()
    }

    /// A column default that is a string literal must be a value of the column's enum.
    pub(super) fn check_enum_default(
        &mut self,
        file: FileId,
        d: &Sp<String>,
        values: &[String],
        column: &str,
    ) {
        let text = d.value.as_str();
        let Some(tree) = self.parsed_fragment(text, false) else {
            return;
        };
        let Some((value, range)) = crate::ir::columns::string_literal(text, &tree) else {
            return;
        };
        if !values.contains(&value) {
            let span = match range {
                Some(r) => span_in_value(self.text(file), &d.span, r),
                None => d.span.clone(),
            };
            self.err(enum_value_error(
                &format!("the default of {column} is '{value}'"),
                &value,
                values,
                Loc::new(file, span),
            ));
        }
    }

    /// Reports every column name in the fragment that resolves to nothing, at its bytes.
    pub(super) fn check_columns(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        query: bool,
        base: &[crate::ir::columns::ScopeRelation],
        what: &str,
    ) {
        let text = v.value.as_str();
        let Some(tree) = self.parsed_fragment(text, query) else {
            return;
        };
        let enums = self.enum_types();
        let found =
            crate::ir::columns::check_columns(text, &tree, base, &|p| self.columns_of(p, &enums));
        self.report_columns(file, v, found, base.is_empty() && !query, what);
    }

    /// Reports what the column check found in fragment `v`; `in_default`: the fragment
    /// may read no column at all.
    pub(super) fn report_columns(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        found: crate::ir::columns::ColumnFindings,
        in_default: bool,
        what: &str,
    ) {
        for b in found.bad_literals {
            let span = match &b.range {
                Some(r) => span_in_value(self.text(file), &v.span, r.clone()),
                None => v.span.clone(),
            };
            self.err(enum_value_error(
                &if b.assigned {
                    format!(
                        "{what} assigns '{}' to the enum column `{}`",
                        b.value, b.column
                    )
                } else {
                    format!(
                        "{what} compares the enum column `{}` with '{}'",
                        b.column, b.value
                    )
                },
                &b.value,
                &b.values,
                Loc::new(file, span),
            ));
        }
        for u in found.unknown {
            let span = match &u.range {
                Some(r) => span_in_value(self.text(file), &v.span, r.clone()),
                None => v.span.clone(),
            };
            let message = match (&u.relation, in_default) {
                (Some(r), _) => format!(
                    "{what} reads `{}`, but `{r}` has no column `{}`",
                    u.written, u.column
                ),
                (None, true) => format!(
                    "{what} reads the column `{}`, but a default cannot read columns",
                    u.written
                ),
                (None, false) => format!(
                    "{what} reads `{}`, which is not a column of any table it can see",
                    u.written
                ),
            };
            let help = match did_you_mean(&u.column, u.candidates.iter().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None if u.candidates.is_empty() => {
                    "use a value or a function call instead".to_string()
                }
                None => format!(
                    "the columns here are {}",
                    u.candidates
                        .iter()
                        .take(12)
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.err(
                Diagnostic::error("unknown-column", message)
                    .label(&Loc::new(file, span), "unknown column")
                    .help(help),
            );
        }
    }
}

/// A fragment as it is written into the SQL: when its last line ends in a `--` comment,
/// a line break ends the comment, so that the `)`, `,` or `;` the emitter writes after
/// the fragment is not commented out.
pub(super) fn closed_fragment(text: &str) -> String {
    match text.lines().last() {
        Some(last) if last.contains("--") => format!("{text}\n"),
        _ => text.to_string(),
    }
}

/// `enum-value`: a literal that is not a value of the enum it is compared with or
/// assigned to (PostgreSQL refuses it when the SQL runs).
fn enum_value_error(message: &str, value: &str, values: &[String], at: Loc) -> Diagnostic {
    let help = match did_you_mean(value, values.iter().map(String::as_str)) {
        Some(c) => format!("did you mean '{c}'?"),
        None => format!(
            "the values are {}",
            values
                .iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Diagnostic::error(
        "enum-value",
        format!("{message}, which is not one of its values"),
    )
    .label(&at, "not a value of the enum")
    .help(help)
}

impl Lowerer<'_> {
    /// `wrong-argument-count` when a call passes a count the function of `whose`
    /// (`PostgreSQL`, an extension) does not accept.
    fn arity_mismatch(
        &mut self,
        l: Loc,
        what: &str,
        name: &str,
        called: &[usize],
        a: &crate::ir::builtins::Arity,
        whose: &str,
    ) {
        if let Some(n) = called.iter().find(|n| !a.accepts(**n)) {
            self.err(
                Diagnostic::error(
                    "wrong-argument-count",
                    format!(
                        "{what} calls `{name}()` with {n} argument(s); {whose}'s `{name}` takes {}",
                        a.describe()
                    ),
                )
                .label(&l, "this call")
                .help(format!("see the function in {whose}'s documentation")),
            );
        }
    }
}
