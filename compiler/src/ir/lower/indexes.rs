//! Column lists and indexes of a table (a project table or an external one).

use super::*;

impl Lowerer<'_> {
    pub(super) fn column_list(
        &mut self,
        file: FileId,
        table: &str,
        cols: &[Sp<String>],
        known: &IndexMap<Sp<String>, Sp<syntax::Column>>,
        what: &str,
    ) -> Vec<(String, Loc)> {
        let names: Vec<&str> = known.keys().map(|k| k.value.as_str()).collect();
        self.column_names_of(file, table, cols, &names, what)
    }

    /// [`Lowerer::column_list`] against a list of column names.
    pub(super) fn column_names_of(
        &mut self,
        file: FileId,
        table: &str,
        cols: &[Sp<String>],
        known: &[&str],
        what: &str,
    ) -> Vec<(String, Loc)> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for c in cols {
            let l = loc(file, c);
            if !known.contains(&c.value.as_str()) {
                let help = match did_you_mean(&c.value, known.iter().copied()) {
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

    /// A table's indexes; the fragment scope is the table's columns.
    pub(super) fn indexes(
        &mut self,
        file: FileId,
        tn: &str,
        ixs: &[Sp<syntax::Index>],
        known: &[&str],
        deps: &mut BTreeSet<ObjRef>,
    ) -> Vec<Index> {
        let mut indexes = Vec::new();
        for ix in ixs {
            let il = loc(file, ix);
            // A key is a column, then what PostgreSQL allows after it.
            let mut key_options = Vec::new();
            let mut plain = Vec::new();
            for c in &ix.columns {
                let (name, options) = if known.contains(&c.value.as_str()) {
                    (c.value.clone(), String::new())
                } else {
                    match split_key(&c.value) {
                        Ok(x) => x,
                        Err(m) => {
                            self.err(
                                Diagnostic::error("invalid-value", m)
                                    .label(&loc(file, c), "not a column with options")
                                    .help("write the column, then optionally a collation, an operator class, `asc` or `desc`, and `nulls first` or `nulls last`: `\"title gin_trgm_ops\"`, `\"created_at desc nulls last\"`"),
                            );
                            // Reported once: not also as an unknown column.
                            continue;
                        }
                    }
                };
                key_options.push(options);
                plain.push(Sp {
                    value: name,
                    span: c.span.clone(),
                });
            }
            let cols = self.column_names_of(file, tn, &plain, known, "the index");
            let mut keys: Vec<IndexKey> = cols
                .iter()
                .map(|(c, _)| IndexKey::Column(c.clone()))
                .collect();
            let include: Vec<String> = self
                .column_names_of(file, tn, &ix.include, known, "the index's `include`")
                .into_iter()
                .map(|(c, _)| c)
                .collect();
            let mut parameters = Vec::new();
            for (k, v) in &ix.parameters {
                let name = k.value.to_ascii_lowercase();
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    self.err(
                        Diagnostic::error("invalid-value", format!("`{}` is not a storage parameter name", k.value))
                            .label(&loc(file, k), "not a parameter name")
                            .help("use PostgreSQL's name of the parameter, such as `fillfactor`, `m` or `lists`"),
                    );
                    continue;
                }
                let value = match &v.value {
                    syntax::IndexParameter::Integer(i) => i.to_string(),
                    syntax::IndexParameter::Float(f) => f.to_string(),
                    syntax::IndexParameter::Boolean(b) => b.to_string(),
                    syntax::IndexParameter::Text(t) => crate::emit::quote_literal(t),
                };
                parameters.push((name, value));
            }
            for e in &ix.expressions {
                if let Some(text) = self.expr(file, e, "the index expression", deps) {
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
                Some(m) if INDEX_METHODS.contains(&m.as_str()) => m.value.clone(),
                Some(m) => {
                    self.err(
                        Diagnostic::error(
                            "invalid-value",
                            format!("`{}` is not an index method", m.value),
                        )
                        .label(&loc(file, m), "unknown method")
                        .help(format!(
                            "use one of {}",
                            INDEX_METHODS
                                .iter()
                                .map(|m| format!("`{m}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    "btree".to_string()
                }
            };
            let predicate = ix
                .predicate
                .as_ref()
                .and_then(|p| self.expr(file, p, "the index predicate", deps));
            indexes.push(Index {
                name,
                unique: ix.unique.as_ref().is_some_and(|u| u.value),
                method,
                keys,
                key_options: if key_options.iter().all(String::is_empty) {
                    Vec::new()
                } else {
                    key_options
                },
                include,
                parameters,
                predicate,
                loc: il,
            });
        }
        indexes
    }
}

/// Index methods: PostgreSQL's own, and those of pgvector (`hnsw`, `ivfflat`), bloom and rum.
pub const INDEX_METHODS: &[&str] = &[
    "btree", "gin", "gist", "hash", "brin", "spgist", "hnsw", "ivfflat", "bloom", "rum",
];

/// Splits `"created_at desc nulls last"` into the column and what follows it, the latter
/// in the canonical form PostgreSQL prints: `COLLATE "C"`, then the operator class, then
/// `DESC`, then `NULLS FIRST` or `NULLS LAST` where it is not the default of the order.
pub fn split_key(text: &str) -> Result<(String, String), String> {
    let mut words = text.split_whitespace();
    let Some(column) = words.next() else {
        return Err("an index key is empty".into());
    };
    let rest: Vec<String> = words.map(str::to_ascii_lowercase).collect();
    let (mut collate, mut opclass, mut desc, mut nulls_first) = (None, None, None, None);
    let mut i = 0;
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            && !w.starts_with('.')
            && !w.ends_with('.')
    };
    while i < rest.len() {
        let w = rest[i].as_str();
        match w {
            "collate" => {
                let Some(c) = text.split_whitespace().nth(i + 2) else {
                    return Err(format!("`{text}`: `collate` needs a collation name"));
                };
                let c = c.trim_matches('"');
                if c.is_empty() || c.contains('"') || desc.is_some() || opclass.is_some() {
                    return Err(format!(
                        "`{text}`: write `collate <name>` right after the column"
                    ));
                }
                collate = Some(c.to_string());
                i += 2;
            }
            "asc" | "desc" if desc.is_none() && nulls_first.is_none() => {
                desc = Some(w == "desc");
                i += 1;
            }
            "nulls" if nulls_first.is_none() => {
                match rest.get(i + 1).map(String::as_str) {
                    Some("first") => nulls_first = Some(true),
                    Some("last") => nulls_first = Some(false),
                    _ => return Err(format!("`{text}`: `nulls` takes `first` or `last`")),
                }
                i += 2;
            }
            w if word(w) && opclass.is_none() && desc.is_none() && nulls_first.is_none() => {
                opclass = Some(w.to_string());
                i += 1;
            }
            w => {
                return Err(format!(
                "`{text}`: `{w}` is not a collation, operator class, order or `nulls` clause here"
            ))
            }
        }
    }
    let desc = desc.unwrap_or(false);
    let mut out = Vec::new();
    if let Some(c) = collate {
        out.push(format!("COLLATE \"{c}\""));
    }
    if let Some(o) = opclass {
        out.push(o);
    }
    if desc {
        out.push("DESC".into());
    }
    match nulls_first {
        Some(true) if !desc => out.push("NULLS FIRST".into()),
        Some(false) if desc => out.push("NULLS LAST".into()),
        _ => {}
    }
    Ok((column.to_string(), out.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::split_key;

    #[test]
    fn keys_with_options_are_written_as_postgresql_prints_them() {
        for (text, column, options) in [
            ("created_at desc", "created_at", "DESC"),
            ("created_at DESC NULLS FIRST", "created_at", "DESC"),
            (
                "created_at desc nulls last",
                "created_at",
                "DESC NULLS LAST",
            ),
            ("created_at asc nulls first", "created_at", "NULLS FIRST"),
            ("title gin_trgm_ops", "title", "gin_trgm_ops"),
            ("payload jsonb_path_ops", "payload", "jsonb_path_ops"),
            (
                "name collate \"C\" text_pattern_ops desc",
                "name",
                "COLLATE \"C\" text_pattern_ops DESC",
            ),
            (
                "embedding extensions.vector_cosine_ops",
                "embedding",
                "extensions.vector_cosine_ops",
            ),
        ] {
            assert_eq!(
                split_key(text),
                Ok((column.to_string(), options.to_string())),
                "{text}"
            );
        }
        for bad in [
            "a desc asc",
            "a nulls",
            "a nulls middle",
            "a desc gin_trgm_ops",
            "a b c",
            "a x;drop",
            "a collate",
        ] {
            assert!(split_key(bad).is_err(), "{bad}");
        }
    }
}
