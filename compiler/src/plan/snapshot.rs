//! The machine-readable state a migration leaves behind: deterministic JSON of the
//! schema objects (no source places), the starting point of the next migration.

use serde::{Deserialize, Serialize};

use crate::diag::{Loc, Sources};
use crate::ir::{Domain, DomainId, Enum, Function, Ir, OnExternal, Raw, Table, View};

pub const SNAPSHOT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub default_schema: String,
    /// Schemas the project creates (not `public`, not declared external).
    #[serde(default)]
    pub schemas: std::collections::BTreeSet<String>,
    pub enums: Vec<Enum>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub functions: Vec<Function>,
    pub raws: Vec<Raw>,
    /// Objects on external tables, one entry per table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_external: Vec<OnExternal>,
    /// Extensions the project creates, by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub extensions: std::collections::BTreeMap<String, SnapshotExtension>,
}

/// An extension as a snapshot holds it: where and which version (what it brings is the
/// catalog's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotExtension {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Snapshot {
    /// Every list sorted by name: the order snapshots are written in, and what the
    /// migration planner's lookups rely on.
    pub fn sort(&mut self) {
        self.enums.sort_by(|a, b| a.name.cmp(&b.name));
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        self.views.sort_by(|a, b| a.name.cmp(&b.name));
        self.functions.sort_by(|a, b| a.name.cmp(&b.name));
        self.raws.sort_by(|a, b| a.name.cmp(&b.name));
        self.on_external.sort_by(|a, b| a.table.cmp(&b.table));
    }

    /// Only what the database holds: keys that guide schemac (`using` conversions,
    /// `rls_reason`, `service_role_only`) are cleared, so changing them needs no
    /// migration. This is what `snapshot.json` stores and what `check` compares.
    pub fn db_state(&self) -> Snapshot {
        let mut s = self.clone();
        for t in &mut s.tables {
            t.rls_reason = None;
            t.service_role_only = false;
            for c in &mut t.columns {
                c.convert_using = None;
            }
        }
        s
    }

    /// The empty database.
    pub fn empty(default_schema: &str) -> Self {
        Snapshot {
            version: SNAPSHOT_VERSION,
            default_schema: default_schema.to_string(),
            ..Default::default()
        }
    }

    pub fn from_ir(ir: &Ir) -> Self {
        let mut s = Snapshot {
            version: SNAPSHOT_VERSION,
            default_schema: ir.project.default_schema.clone(),
            enums: ir.enums.clone(),
            tables: ir.tables.clone(),
            views: ir.views.clone(),
            functions: ir.functions.clone(),
            raws: ir.raws.clone(),
            on_external: merged_by_table(&ir.on_external),
            extensions: ir
                .project
                .extensions
                .iter()
                .map(|(n, e)| {
                    (
                        n.clone(),
                        SnapshotExtension {
                            schema: e.schema.clone(),
                            version: e.version.clone(),
                        },
                    )
                })
                .collect(),
            schemas: ir
                .tables
                .iter()
                .map(|t| &t.name.schema)
                .chain(ir.views.iter().map(|v| &v.name.schema))
                .chain(ir.functions.iter().map(|f| &f.name.schema))
                .chain(ir.enums.iter().map(|e| &e.name.schema))
                .filter(|s| *s != "public" && !ir.project.external_schemas.contains(*s))
                .cloned()
                .collect(),
        };
        s.sort();
        // Exemptions are lint metadata, not database state.
        for t in &mut s.tables {
            t.allow.clear();
        }
        for v in &mut s.views {
            v.allow.clear();
        }
        for f in &mut s.functions {
            f.allow.clear();
        }
        for o in &mut s.on_external {
            o.allow.clear();
        }
        // Canonical form: what serializes is what compares.
        s.normalized()
    }

    fn normalized(self) -> Self {
        let json = serde_json::to_string(&self).unwrap_or_default();
        serde_json::from_str(&json).unwrap_or(self)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| unreachable!("snapshots serialize: {e}"));
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        let s: Snapshot = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if s.version != SNAPSHOT_VERSION {
            return Err(format!(
                "snapshot version {} is not {SNAPSHOT_VERSION}",
                s.version
            ));
        }
        Ok(s)
    }

    /// An IR holding this state, without copying it.
    pub fn into_ir(self) -> Ir {
        let mut ir = Ir::default();
        ir.project.default_schema = self.default_schema;
        ir.project.postgres = 15;
        ir.domains.push(Domain {
            name: "snapshot".into(),
            loc: Loc::default(),
            file: Default::default(),
            prefix: None,
            description: None,
            depends_on: None,
        });
        // Deserialized and synthetic objects all belong to the one domain.
        let d = DomainId(0);
        ir.enums = self.enums;
        ir.tables = self.tables;
        ir.views = self.views;
        ir.functions = self.functions;
        ir.raws = self.raws;
        ir.on_external = self.on_external;
        ir.project.extensions = self
            .extensions
            .into_iter()
            .map(|(n, e)| {
                let provides = crate::ir::extensions::known(&n)
                    .cloned()
                    .unwrap_or_default();
                (
                    n,
                    crate::ir::Extension {
                        schema: e.schema,
                        version: e.version,
                        provides,
                        loc: None,
                    },
                )
            })
            .collect();
        ir.enums.iter_mut().for_each(|x| x.domain = d);
        ir.tables.iter_mut().for_each(|x| x.domain = d);
        ir.views.iter_mut().for_each(|x| x.domain = d);
        ir.functions.iter_mut().for_each(|x| x.domain = d);
        ir.raws.iter_mut().for_each(|x| x.domain = d);
        ir.on_external.iter_mut().for_each(|x| x.domain = d);
        ir
    }

    /// An IR holding a copy of this state (one synthetic domain).
    pub fn to_ir(&self) -> Ir {
        self.clone().into_ir()
    }
}

/// The objects of every domain on one external table as one entry: the database
/// knows tables, not domains.
fn merged_by_table(all: &[OnExternal]) -> Vec<OnExternal> {
    let mut out: Vec<OnExternal> = Vec::new();
    for o in all {
        match out.iter_mut().find(|x| x.table == o.table) {
            Some(m) => {
                m.indexes.extend(o.indexes.iter().cloned());
                m.policies.extend(o.policies.iter().cloned());
                m.grants.extend(o.grants.iter().cloned());
                m.revokes.extend(o.revokes.iter().cloned());
                m.triggers.extend(o.triggers.iter().cloned());
                m.deps.extend(o.deps.iter().cloned());
            }
            None => out.push(o.clone()),
        }
    }
    out
}

/// Unused sources, for planning functions that need a `Sources`.
pub fn no_sources() -> Sources {
    Sources::default()
}

impl Snapshot {
    /// This state as it was before the given table renames (`from` -> `to`): tables get
    /// their old names back, objects named after them follow, and SQL text that names
    /// them is rewritten. Used to reconstruct earlier states of a history.
    pub fn before_renames(&self, renames: &[(crate::ir::QName, crate::ir::QName)]) -> Snapshot {
        use crate::lint::fix::rename_in_sql;
        let mut s = self.clone();
        for (from, to) in renames {
            let (old, new) = (from.name.as_str(), to.name.as_str());
            let back = |n: &str| n.replace(new, old);
            for t in &mut s.tables {
                if &t.name == to {
                    t.name = from.clone();
                    if let Some(pk) = &mut t.primary_key {
                        pk.name = back(&pk.name);
                    }
                    for u in &mut t.uniques {
                        u.name = back(&u.name);
                    }
                    for c in &mut t.checks {
                        c.name = back(&c.name);
                    }
                    for f in &mut t.foreign_keys {
                        f.name = back(&f.name);
                    }
                    for i in &mut t.indexes {
                        i.name = back(&i.name);
                    }
                    for p in &mut t.policies {
                        p.name = back(&p.name);
                    }
                    for tr in &mut t.triggers {
                        tr.name = back(&tr.name);
                    }
                }
                for f in &mut t.foreign_keys {
                    if &f.target == to {
                        f.target = from.clone();
                    }
                }
                for c in &mut t.checks {
                    c.expression = rename_in_sql(&c.expression, new, old);
                }
                for p in &mut t.policies {
                    for e in [&mut p.using, &mut p.with_check].into_iter().flatten() {
                        e.0 = rename_in_sql(&e.0, new, old);
                    }
                    retarget(&mut p.deps, from, to);
                }
                retarget(&mut t.deps, from, to);
            }
            for v in &mut s.views {
                v.query = rename_in_sql(&v.query, new, old);
                retarget(&mut v.deps, from, to);
                v.reads = v
                    .reads
                    .iter()
                    .cloned()
                    .map(|q| if &q == to { from.clone() } else { q })
                    .collect();
            }
            for f in &mut s.functions {
                f.body = rename_in_sql(&f.body, new, old);
                retarget(&mut f.deps, from, to);
            }
            for r in &mut s.raws {
                r.sql = rename_in_sql(&r.sql, new, old);
                if let Some(rb) = &mut r.rollback {
                    *rb = rename_in_sql(rb, new, old);
                }
                retarget(&mut r.deps, from, to);
            }
        }
        s.sort();
        s
    }
}

/// Points dependencies on `to` back at `from`.
fn retarget(
    deps: &mut std::collections::BTreeSet<crate::ir::ObjRef>,
    from: &crate::ir::QName,
    to: &crate::ir::QName,
) {
    *deps = std::mem::take(deps)
        .into_iter()
        .map(|mut d| {
            if &d.name == to {
                d.name = from.clone();
            }
            d
        })
        .collect();
}
