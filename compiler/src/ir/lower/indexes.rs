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
            let cols = self.column_names_of(file, tn, &ix.columns, known, "the index");
            let mut keys: Vec<IndexKey> = cols
                .iter()
                .map(|(c, _)| IndexKey::Column(c.clone()))
                .collect();
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
                .and_then(|p| self.expr(file, p, "the index predicate", deps));
            indexes.push(Index {
                name,
                unique: ix.unique.as_ref().is_some_and(|u| u.value),
                method,
                keys,
                predicate,
                loc: il,
            });
        }
        indexes
    }
}
