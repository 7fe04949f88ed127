//! What raw SQL blocks declare they create (`[raw.<name>.creates]`): the columns,
//! relations and functions join the project's names, so fragments may read them and
//! every object that reads them is ordered after the block.

use super::*;

impl Lowerer<'_> {
    /// With the declarations: created relations and functions join the namespaces.
    pub(super) fn declare_raw_creates(&mut self, file: FileId, d: &syntax::DomainFile) {
        for (name, r) in &d.raw {
            let Some(c) = &r.creates else { continue };
            for rel in &c.relations {
                let q = self.qualify(rel.value.trim());
                let l = loc(file, rel);
                if let Some((kind, prev)) = self.relations.get(&q).cloned() {
                    self.err(
                        Diagnostic::error(
                            "duplicate-name",
                            format!(
                                "raw SQL `{}` creates `{q}`, which is also declared as {kind}",
                                name.value
                            ),
                        )
                        .label(&l, "created here")
                        .label(&prev, "declared here")
                        .help("tables, views, indexes and types share one namespace per schema; rename one of them, or remove it from `creates` if the block does not create it"),
                    );
                    continue;
                }
                self.relations.insert(q.clone(), (ObjKind::Raw, l));
                self.raw_relations.insert(q, name.value.clone());
            }
            for f in &c.functions {
                let q = self.qualify(f.value.trim());
                let blocks = self.raw_functions.entry(q).or_default();
                if !blocks.contains(&name.value) {
                    blocks.push(name.value.clone());
                }
            }
        }
    }

    /// Once the tables are lowered: the columns blocks add to them, and the triggers
    /// they create on project or external tables.
    pub(super) fn raw_created_columns(&mut self, file: FileId, d: &syntax::DomainFile) {
        for (name, r) in &d.raw {
            let Some(c) = &r.creates else { continue };
            for tr in &c.triggers {
                let l = loc(file, tr);
                let Some((q, trigger)) = self.table_member(file, tr, "trigger") else {
                    continue;
                };
                if !self.table_index.contains_key(&q)
                    && !self.ir.project.external_tables.contains_key(&q)
                {
                    self.err(
                        Diagnostic::error(
                            "unknown-table",
                            format!(
                                "raw SQL `{}` creates a trigger on `{q}`, which is neither a table of this project nor under `[external.tables]`",
                                name.value
                            ),
                        )
                        .label(&l, "unknown table")
                        .help("name a project table or a declared external one"),
                    );
                    continue;
                }
                self.raw_triggers
                    .entry(name.value.clone())
                    .or_default()
                    .push((q, trigger));
            }
            for col in &c.columns {
                let l = loc(file, col);
                let Some((q, column)) = self.table_member(file, col, "column") else {
                    continue;
                };
                let Some(&i) = self.table_index.get(&q) else {
                    let help = match did_you_mean(
                        &q.name,
                        self.table_index.keys().map(|k| k.name.as_str()),
                    ) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => {
                            "a raw block may add columns to the project's tables only".to_string()
                        }
                    };
                    self.err(
                        Diagnostic::error(
                            "unknown-table",
                            format!(
                                "raw SQL `{}` adds a column to `{q}`, which is not a table of this project",
                                name.value
                            ),
                        )
                        .label(&l, "unknown table")
                        .help(help),
                    );
                    continue;
                };
                let t = &self.ir.tables[i];
                if let Some(declared) = t.column(&column).map(|c| c.loc.clone()) {
                    self.err(
                        Diagnostic::error(
                            "duplicate-column",
                            format!(
                                "column `{column}` of `{}` is declared in the table and created by raw SQL `{}`",
                                q.name, name.value
                            ),
                        )
                        .label(&l, "created here")
                        .label(&declared, "declared here")
                        .help("keep one: the declared column, or the raw block's"),
                    );
                    continue;
                }
                let list = self.raw_columns.entry(q.clone()).or_default();
                match list.iter().find(|(c, _)| *c == column) {
                    None => list.push((column, name.value.clone())),
                    Some((_, other)) if *other == name.value => {}
                    Some((_, other)) => {
                        let other = other.clone();
                        self.err(
                            Diagnostic::error(
                                "duplicate-column",
                                format!(
                                    "column `{column}` of `{}` is created by raw SQL `{other}` and by raw SQL `{}`",
                                    q.name, name.value
                                ),
                            )
                            .label(&l, "created again here")
                            .help("one block creates the column; the other may list the first in `depends_on`"),
                        );
                    }
                }
            }
        }
    }

    /// `"table.<what>"` or `"schema.table.<what>"` as (table, name); anything else is
    /// `invalid-value`.
    fn table_member(
        &mut self,
        file: FileId,
        v: &Sp<String>,
        what: &str,
    ) -> Option<(QName, String)> {
        let parts: Vec<&str> = v.value.trim().split('.').collect();
        match parts.as_slice() {
            [t, n] => Some((self.qualify(t), n.to_string())),
            [s, t, n] => Some((QName::new(*s, *t), n.to_string())),
            _ => {
                self.err(
                    Diagnostic::error(
                        "invalid-value",
                        format!("`{}` does not name a {what}", v.value),
                    )
                    .label(&loc(file, v), format!("not `table.{what}`"))
                    .help(format!(
                        "write `\"table.{what}\"` or `\"schema.table.{what}\"`"
                    )),
                );
                None
            }
        }
    }

    /// The raw blocks that add columns to table `q`, as dependencies.
    pub(super) fn raw_column_deps(&self, q: &QName) -> Vec<ObjRef> {
        self.raw_columns
            .get(q)
            .into_iter()
            .flatten()
            .map(|(_, raw)| ObjRef {
                kind: ObjKind::Raw,
                name: QName::new("", raw.clone()),
            })
            .collect()
    }

    /// What raw block `name` creates, as the IR records it, with the tables it alters.
    pub(super) fn raw_creates_of(&self, name: &str, deps: &mut BTreeSet<ObjRef>) -> RawCreates {
        let mut out = RawCreates::default();
        for (t, cols) in &self.raw_columns {
            for (c, _) in cols.iter().filter(|(_, r)| r == name) {
                out.columns.push((t.clone(), c.clone()));
                deps.insert(ObjRef {
                    kind: ObjKind::Table,
                    name: t.clone(),
                });
            }
        }
        out.relations = self
            .raw_relations
            .iter()
            .filter(|(_, r)| *r == name)
            .map(|(q, _)| q.clone())
            .collect();
        out.triggers = self.raw_triggers.get(name).cloned().unwrap_or_default();
        out.functions = self
            .raw_functions
            .iter()
            .filter(|(_, blocks)| blocks.iter().any(|b| b == name))
            .map(|(q, _)| q.clone())
            .collect();
        out
    }

    /// Every raw block that creates function `q` (several may: overloads), as dependencies.
    pub(super) fn raw_function_deps(&self, q: &QName) -> Vec<ObjRef> {
        self.raw_functions
            .get(q)
            .into_iter()
            .flatten()
            .map(|raw| ObjRef {
                kind: ObjKind::Raw,
                name: QName::new("", raw.clone()),
            })
            .collect()
    }
}
