//! Drift of functions: language, body, security definer, volatility, `search_path`, and
//! who may execute them. Of a name's overloads the one with the declared number of
//! arguments is compared; the others are raw blocks' (named in `creates`) or extra.

use std::collections::{BTreeMap, BTreeSet};

use super::{Diffs, Query};
use crate::ir::Ir;

pub(super) fn compare(
    ir: &Ir,
    query: &mut Query,
    in_list: &str,
    d: &mut Diffs,
) -> Result<(), String> {
    // Functions, and who may execute them (NULL proacl: PUBLIC, the default).
    let rows = query(&format!(
        "select n.nspname || '.' || p.proname, p.prosecdef, p.provolatile, coalesce(array_to_string(p.proconfig, ','), ''), \
         coalesce((select string_agg(case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee)::text end, ',' order by 1) \
           from aclexplode(p.proacl) a where a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner), case when p.proacl is null then 'public' else '' end) \
         , p.pronargs, l.lanname, p.prosrc from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang \
         where n.nspname in ({in_list}) and p.prokind = 'f' \
         and not exists (select 1 from pg_depend x where x.classid = 'pg_proc'::regclass and x.objid = p.oid and x.deptype = 'e') order by 1, p.oid"
    ))?;
    // One function per name in the project: of a name's overloads, the one with the
    // declared number of arguments is compared. The others are raw blocks' (their name
    // is then in `creates`), or extra.
    let arity: BTreeMap<String, usize> = ir
        .functions
        .iter()
        .map(|f| (f.name.to_string(), f.arguments.len()))
        .collect();
    let mut actual: BTreeMap<String, String> = BTreeMap::new();
    let mut chosen: BTreeMap<String, bool> = BTreeMap::new();
    let mut overloads = Vec::new();
    let mut first_arity: BTreeMap<String, String> = BTreeMap::new();
    let mut bodies: BTreeMap<String, String> = BTreeMap::new();
    for r in &rows {
        let mut exec: Vec<&str> = r[4].split(',').filter(|x| !x.is_empty()).collect();
        exec.sort_unstable();
        let summary = format!(
            "language {} security definer {} volatility {} config [{}] execute [{}]",
            r[6],
            r[1],
            r[2],
            r[3],
            exec.join(",")
        );
        let fits = arity.get(&r[0]).map(|n| n.to_string()) == Some(r[5].clone());
        match chosen.get(&r[0]) {
            None => {
                bodies.insert(r[0].clone(), r[7].clone());
                actual.insert(r[0].clone(), summary);
                chosen.insert(r[0].clone(), fits);
                first_arity.insert(r[0].clone(), r[5].clone());
            }
            Some(false) if fits => {
                // The row kept so far is another overload.
                if let Some(n) = first_arity.get(&r[0]) {
                    overloads.push((r[0].clone(), n.clone()));
                }
                bodies.insert(r[0].clone(), r[7].clone());
                actual.insert(r[0].clone(), summary);
                chosen.insert(r[0].clone(), true);
            }
            _ => overloads.push((r[0].clone(), r[5].clone())),
        }
    }
    let raw_functions: BTreeSet<String> = ir
        .raws
        .iter()
        .flat_map(|r| r.creates.functions.iter().map(|q| q.to_string()))
        .collect();
    for (name, n) in overloads {
        if !raw_functions.contains(&name) {
            d.push(
                format!("function {name} ({n} argument(s))"),
                "extra",
                "an overload the schema does not declare",
            );
        }
    }
    let expected: BTreeMap<String, String> = ir
        .functions
        .iter()
        .map(|f| {
            let cfg = match &f.search_path {
                None => String::new(),
                Some(sp) => {
                    let parts: Vec<&str> = sp
                        .split(',')
                        .map(|s| s.trim().trim_matches('"'))
                        .filter(|s| !s.is_empty())
                        .collect();
                    if parts.is_empty() {
                        "search_path=\"\"".to_string()
                    } else {
                        format!("search_path={}", parts.join(", "))
                    }
                }
            };
            let mut exec: Vec<&str> = f.grant_execute.iter().map(|(r, _)| r.as_str()).collect();
            exec.sort_unstable();
            exec.dedup();
            (
                f.name.to_string(),
                format!(
                    "language {} security definer {} volatility {} config [{cfg}] execute [{}]",
                    f.language.to_lowercase(),
                    if f.security_definer { "t" } else { "f" },
                    &f.volatility[..1],
                    exec.join(",")
                ),
            )
        })
        .collect();
    d.keyed("function", &expected, &actual);
    // Bodies: PostgreSQL keeps the text of SQL and PL/pgSQL bodies as given, so they are
    // compared as text (line ends and surrounding blank lines aside).
    for f in &ir.functions {
        let key = f.name.to_string();
        if let Some(theirs) = bodies.get(&key) {
            let (a, b) = (body_digest(theirs), body_digest(&f.body));
            if a != b {
                d.push(
                    format!("function {key}"),
                    "changed",
                    format!("body: database {a} -> schema {b}"),
                );
            }
        }
    }
    Ok(())
}

/// A function body as the comparison shows it: its length and a short hash of the text
/// as written (PostgreSQL keeps the text of SQL and PL/pgSQL bodies as given), so a body
/// replaced by hand shows as changed without printing either body.
fn body_digest(body: &str) -> String {
    use sha2::{Digest, Sha256};
    let body = body.replace("\r\n", "\n");
    let body = body.trim_matches('\n');
    let hash = Sha256::digest(body.as_bytes());
    let short: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    let first = body
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let first: String = first.chars().take(40).collect();
    format!("`{first}`… ({} bytes, #{short})", body.len())
}
