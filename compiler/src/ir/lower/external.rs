//! `[on."schema.table"]`: indexes, policies, grants and triggers a domain puts on a
//! table the project does not own (Supabase's `auth.users`, `storage.objects`).

use super::access::TableObjects;
use super::*;

impl Lowerer<'_> {
    pub(super) fn on_external(
        &mut self,
        file: FileId,
        domain: DomainId,
        name: &Sp<String>,
        o: &Sp<syntax::OnExternal>,
    ) {
        let nl = loc(file, name);
        let q = self.qualify(name.value.trim());
        if self.table_index.contains_key(&q) {
            self.err(
                Diagnostic::error(
                    "not-external",
                    format!("`{}` is a project table, not an external one", q),
                )
                .label(&nl, "declared by the project")
                .help(format!(
                    "declare its indexes, policies, grants and triggers under `[tables.{}]`",
                    q.name
                )),
            );
            return;
        }
        let Some(ext) = self.ir.project.external_tables.get(&q) else {
            let known: Vec<String> = self
                .ir
                .project
                .external_tables
                .keys()
                .map(|k| k.to_string())
                .collect();
            let help = match did_you_mean(&q.to_string(), known.iter().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!(
                    "declare the table and the columns the project uses in schemac.toml: `[external.tables.\"{q}\"]`"
                ),
            };
            self.err(
                Diagnostic::error(
                    "unknown-external-table",
                    format!("`{q}` is not a table declared under `[external.tables]`"),
                )
                .label(&nl, "unknown table")
                .help(help),
            );
            return;
        };
        let columns: Vec<String> = ext.columns.keys().cloned().collect();
        let row = crate::ir::columns::ScopeRelation {
            name: q.name.clone(),
            columns: Some(columns.iter().cloned().collect()),
            enums: Vec::new(),
        };
        let mut deps = BTreeSet::new();
        self.fragment_scope = FragmentScope::Relations(std::rc::Rc::new(vec![row.clone()]));
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let indexes = self.indexes(file, &q.name, &o.indexes, &names, &mut deps);
        let objects = TableObjects {
            policies: &o.policies,
            grants: &o.grants,
            revokes: &o.revokes,
            triggers: &o.triggers,
        };
        let (mut policies, grants, revokes, triggers) = self.table_objects(file, &q, row, objects);
        self.fragment_scope = FragmentScope::Unchecked;
        for p in &mut policies {
            // The table itself is not the project's: nothing orders it.
            p.deps.retain(|d| d.name != q);
            deps.extend(p.deps.iter().cloned());
        }
        for t in &triggers {
            if self.functions.contains_key(&t.function) {
                deps.insert(ObjRef {
                    kind: ObjKind::Function,
                    name: t.function.clone(),
                });
            } else {
                deps.extend(self.raw_function_deps(&t.function));
            }
        }
        deps.retain(|d| d.name != q);
        if indexes.is_empty()
            && policies.is_empty()
            && grants.is_empty()
            && revokes.is_empty()
            && triggers.is_empty()
        {
            self.err(
                Diagnostic::warning(
                    "empty-on-external",
                    format!("`[on.\"{q}\"]` declares nothing"),
                )
                .label(&nl, "no indexes, policies, grants or triggers")
                .help("add objects to it, or remove it"),
            );
        }
        let allow = self.exemptions(file, &o.allow);
        self.ir.on_external.push(OnExternal {
            table: q,
            key: name.value.clone(),
            loc: nl,
            domain,
            indexes,
            policies,
            grants,
            revokes,
            triggers,
            allow,
            deps,
        });
    }

    /// Trigger and policy names are unique per table, also across the domains that
    /// put objects on the same external table.
    pub(super) fn check_on_external_names(&mut self) {
        let mut seen: BTreeMap<(&QName, &str, &str), &Loc> = BTreeMap::new();
        let mut problems = Vec::new();
        for o in &self.ir.on_external {
            let named = o
                .triggers
                .iter()
                .map(|t| ("trigger", t.name.as_str(), &t.loc))
                .chain(
                    o.policies
                        .iter()
                        .map(|p| ("policy", p.name.as_str(), &p.loc)),
                );
            for (kind, n, l) in named {
                if let Some(prev) = seen.insert((&o.table, kind, n), l) {
                    problems.push((
                        kind,
                        n.to_string(),
                        o.table.clone(),
                        l.clone(),
                        prev.clone(),
                    ));
                }
            }
        }
        for (kind, n, table, l, prev) in problems {
            self.err(
                Diagnostic::error(
                    "duplicate-name",
                    format!("{kind} `{n}` on `{table}` is declared twice"),
                )
                .label(&l, "declared again here")
                .label(&prev, "first declared here")
                .help(format!(
                    "{kind} names are unique per table; rename one of them"
                )),
            );
        }
    }
}
