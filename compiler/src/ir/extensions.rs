//! What an extension brings to a project that declares it under `[extensions.<name>]`:
//! its types (columns may use `vector(384)` or `geometry(Point,4326)`), its functions with
//! the argument counts a call may pass (fragments may call `gen_random_bytes(16)` or
//! `similarity(a, b)`), its operator classes and its index methods.
//!
//! `extensions.txt` is generated from a PostgreSQL 15 server for the extensions of
//! [`GENERATED`]: `cargo test --test postgres -- --ignored regenerate_extension_catalog`
//! rewrites it, and `the_extension_catalog_is_what_the_server_installs` fails when it is
//! stale. `extensions_manual.txt` is written by hand from the extensions' own SQL scripts,
//! for the extensions no PostgreSQL 15 package here provides (pgvector, pg_net, pg_cron,
//! pg_graphql, pgjwt); an extension neither file knows declares what it brings itself.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use super::builtins::Arity;

const GENERATED_LIST: &str = include_str!("extensions.txt");
const MANUAL_LIST: &str = include_str!("extensions_manual.txt");

/// The extensions whose members `extensions.txt` lists, read from a server.
pub const GENERATED: &[&str] = &[
    "btree_gin",
    "btree_gist",
    "citext",
    "cube",
    "dblink",
    "earthdistance",
    "fuzzystrmatch",
    "hstore",
    "intarray",
    "isn",
    "lo",
    "ltree",
    "moddatetime",
    "pg_stat_statements",
    "pg_trgm",
    "pgcrypto",
    "postgis",
    "postgres_fdw",
    "seg",
    "tablefunc",
    "unaccent",
    "uuid-ossp",
];

/// What one extension provides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provides {
    pub types: BTreeSet<String>,
    pub functions: BTreeMap<String, Arity>,
    pub opclasses: BTreeSet<String>,
    pub methods: BTreeSet<String>,
}

fn catalog() -> &'static BTreeMap<String, Provides> {
    static CATALOG: OnceLock<BTreeMap<String, Provides>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut out: BTreeMap<String, Provides> = BTreeMap::new();
        for line in GENERATED_LIST.lines().chain(MANUAL_LIST.lines()) {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut parts = line.split(' ');
            let (Some(ext), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let p = out.entry(ext.to_string()).or_default();
            match kind {
                "type" => {
                    p.types.insert(name.to_string());
                }
                "opclass" => {
                    p.opclasses.insert(name.to_string());
                }
                "method" => {
                    p.methods.insert(name.to_string());
                }
                "function" => {
                    let a = p.functions.entry(name.to_string()).or_default();
                    for tok in parts
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .filter(|t| !t.is_empty())
                    {
                        match tok.strip_suffix('+') {
                            Some(v) => a.at_least = v.parse().ok(),
                            None => {
                                if let Ok(n) = tok.parse() {
                                    a.counts.insert(n);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        out
    })
}

/// What a known extension provides.
pub fn known(name: &str) -> Option<&'static Provides> {
    catalog().get(name)
}

/// Every extension the catalog knows, sorted (for "did you mean").
pub fn known_names() -> impl Iterator<Item = &'static str> {
    catalog().keys().map(String::as_str)
}

/// The rows [`render`] takes: extension, kind, name, and for functions the lowest and
/// highest argument count and whether the last is VARIADIC. Array types (`_name`) and
/// the row types of tables are left out.
pub const MEMBERS_QUERY: &str = "select e.extname, x.kind, x.name, x.lo, x.hi, x.variadic from pg_extension e join pg_depend d \
     on d.refclassid = 'pg_extension'::regclass and d.refobjid = e.oid and d.deptype = 'e' \
     join lateral ( \
       select 'function' as kind, p.proname::text as name, p.pronargs - p.pronargdefaults as lo, p.pronargs::int as hi, p.provariadic <> 0 as variadic \
         from pg_proc p where d.classid = 'pg_proc'::regclass and p.oid = d.objid \
       union all select 'type', t.typname::text, 0, 0, false from pg_type t \
         where d.classid = 'pg_type'::regclass and t.oid = d.objid and t.typname !~ '^_' and t.typrelid = 0 \
       union all select 'opclass', o.opcname::text, 0, 0, false from pg_opclass o where d.classid = 'pg_opclass'::regclass and o.oid = d.objid \
       union all select 'method', a.amname::text, 0, 0, false from pg_am a where d.classid = 'pg_am'::regclass and a.oid = d.objid \
     ) x on true order by 1, 2, 3";

/// One row of [`MEMBERS_QUERY`]: extension, kind, name, lowest and highest argument
/// count, VARIADIC.
pub type MemberRow = (String, String, String, usize, usize, bool);

/// A function's argument counts: lowest, highest, VARIADIC.
type Signature = (usize, usize, bool);

/// `extensions.txt` from the rows of [`MEMBERS_QUERY`].
pub fn render(rows: &[MemberRow]) -> String {
    let mut functions: BTreeMap<(&str, &str), Vec<Signature>> = BTreeMap::new();
    let mut others: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for (ext, kind, name, lo, hi, variadic) in rows {
        if kind == "function" {
            functions
                .entry((ext, name))
                .or_default()
                .push((*lo, *hi, *variadic));
        } else {
            others.insert((ext, kind, name));
        }
    }
    let mut lines: Vec<String> = others
        .into_iter()
        .map(|(e, k, n)| format!("{e} {k} {n}"))
        .collect();
    for ((ext, name), sigs) in functions {
        let rows: Vec<(String, usize, usize, bool)> = sigs
            .into_iter()
            .map(|(lo, hi, v)| (name.to_string(), lo, hi, v))
            .collect();
        let rendered = super::builtins::render(&rows);
        if let Some(line) = rendered.lines().find(|l| !l.starts_with('#')) {
            lines.push(format!("{ext} function {line}"));
        }
    }
    lines.sort();
    let mut out = String::from(
        "# What the extensions of schemac::ir::extensions::GENERATED bring (PostgreSQL 15):\n\
         # extension, kind (function, type, opclass, method), name, and for functions the\n\
         # argument counts a call may pass (`n+`: n or more). Generated: do not edit.\n\
         # Regenerate: cargo test --test postgres -- --ignored regenerate_extension_catalog\n",
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_knows_the_common_extensions() {
        let trgm = known("pg_trgm").expect("pg_trgm");
        assert!(trgm.opclasses.contains("gin_trgm_ops"));
        assert!(trgm.functions["similarity"].accepts(2));
        assert!(known("pgcrypto").unwrap().functions["gen_random_bytes"].accepts(1));
        assert!(known("vector").unwrap().types.contains("vector"));
        assert!(known("vector").unwrap().methods.contains("hnsw"));
        assert!(known("postgis").unwrap().types.contains("geometry"));
        assert!(known("citext").unwrap().types.contains("citext"));
        assert!(known("no_such_extension").is_none());
    }
}
