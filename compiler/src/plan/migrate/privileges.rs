//! Grant differences and which type changes are safe.

use super::*;

/// Privileges each role ends up with.
pub(super) fn effective(grants: &[Grant], revokes: &[Grant]) -> BTreeMap<String, BTreeSet<String>> {
    const ALL: [&str; 7] = crate::lint::privileges::TABLE_PRIVILEGES;
    let expand = |g: &Grant| -> BTreeSet<String> {
        if g.privileges.iter().any(|p| p == "all") {
            ALL.iter().map(|s| s.to_string()).collect()
        } else {
            g.privileges.iter().cloned().collect()
        }
    };
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in revokes {
        m.entry(r.role.clone()).or_default();
    }
    for g in grants {
        m.entry(g.role.clone()).or_default().extend(expand(g));
    }
    m
}

pub(super) fn grant_changes(
    object: &str,
    old: (&[Grant], &[Grant]),
    new: (&[Grant], &[Grant]),
) -> Vec<String> {
    let (a, b) = (effective(old.0, old.1), effective(new.0, new.1));
    let roles: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for r in roles {
        let (x, y) = (
            a.get(r).cloned().unwrap_or_default(),
            b.get(r).cloned().unwrap_or_default(),
        );
        if x != y || (a.contains_key(r) != b.contains_key(r) && !y.is_empty()) {
            out.push(format!(
                "REVOKE ALL ON TABLE {object} FROM {};",
                quote_role(r)
            ));
            if !y.is_empty() {
                out.push(format!(
                    "GRANT {} ON TABLE {object} TO {};",
                    y.iter()
                        .map(|p| p.to_uppercase())
                        .collect::<Vec<_>>()
                        .join(", "),
                    quote_role(r)
                ));
            }
        }
    }
    out
}

/// Type changes that never lose data.
pub(super) fn is_widening(old: &str, new: &str) -> bool {
    let base = |t: &str| t.split('(').next().unwrap_or(t).to_string();
    let mods = |t: &str| -> Vec<u32> {
        t.split_once('(').map_or(Vec::new(), |(_, r)| {
            r.trim_end_matches(')')
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
    };
    let (ob, nb) = (base(old), base(new));
    let (om, nm) = (mods(old), mods(new));
    match (ob.as_str(), nb.as_str()) {
        ("smallint", "integer" | "bigint")
        | ("integer", "bigint")
        | ("real", "double precision") => true,
        // Unconstrained numeric holds any integer.
        ("smallint" | "integer" | "bigint", "numeric") => nm.is_empty(),
        ("character varying", "text") => true,
        ("character varying", "character varying") => {
            nm.is_empty() || (!om.is_empty() && nm[0] >= om[0])
        }
        // numeric(p, s): the integer digits (p - s) and the scale must both not shrink.
        ("numeric", "numeric") => {
            if nm.is_empty() {
                return true;
            }
            if om.is_empty() {
                return false;
            }
            let (op, os) = (om[0], om.get(1).copied().unwrap_or(0));
            let (np, ns) = (nm[0], nm.get(1).copied().unwrap_or(0));
            np.saturating_sub(ns) >= op.saturating_sub(os) && ns >= os
        }
        _ => false,
    }
}
