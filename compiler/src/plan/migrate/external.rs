//! Migrating the objects domains put on external tables: the table is never touched,
//! only the declared indexes, policies, triggers and privileges change.

use super::*;
use crate::ir::OnExternal;

/// Privileges per role that the declared grants give (`all` expanded).
fn granted(grants: &[Grant]) -> BTreeMap<String, BTreeSet<String>> {
    effective(grants, &[])
}

/// Step 1 of a migration: what goes away or must be recreated, before the functions
/// and views it depends on change. `reshaped` says whether a policy reads a project
/// object that is rebuilt.
pub(super) fn drop_external(
    p: &mut Planner,
    old: &OnExternal,
    new: Option<&OnExternal>,
    reshaped: &dyn Fn(&Policy) -> bool,
) {
    let t = &old.table;
    for pol in &old.policies {
        let keep = new.and_then(|n| n.policies.iter().find(|x| x.name == pol.name));
        if keep.is_none_or(|k| {
            k.command != pol.command || k.permissive != pol.permissive || reshaped(pol)
        }) {
            p.script.push(
                format!("drop policy {} on external table {t}", pol.name),
                vec![drop_policy(t, pol)],
            );
        }
    }
    for tr in &old.triggers {
        let keep = new.and_then(|n| n.triggers.iter().find(|x| x.name == tr.name));
        if keep != Some(tr) {
            p.script.push(
                format!("drop trigger {} on external table {t}", tr.name),
                vec![drop_trigger(t, tr)],
            );
        }
    }
    let gone: Vec<String> = old
        .indexes
        .iter()
        .filter(|ix| new.and_then(|n| n.indexes.iter().find(|x| x.name == ix.name)) != Some(*ix))
        .map(|ix| drop_index(t, ix))
        .collect();
    p.script
        .push(format!("drop indexes on external table {t}"), gone);
    if new.is_none() {
        // The whole declaration goes: so do the privileges it granted.
        let revokes =
            external_grant_changes(&quote_qname(t), (&old.grants, &old.revokes), (&[], &[]));
        p.script
            .push(format!("privileges on external table {t}"), revokes);
    }
}

/// Step 3: what is new or changed, after everything it depends on exists. Indexes are
/// built concurrently after the transaction: the table exists and is in use.
pub(super) fn create_external(
    p: &mut Planner,
    old: Option<&OnExternal>,
    new: &OnExternal,
    reshaped: &dyn Fn(&Policy) -> bool,
) {
    let t = &new.table;
    for ix in &new.indexes {
        if old.and_then(|o| o.indexes.iter().find(|x| x.name == ix.name)) != Some(ix) {
            p.script.concurrent.push(concurrently(&create_index(t, ix)));
        }
    }
    let none = Vec::new();
    let (og, or) = old.map_or((&none, &none), |o| (&o.grants, &o.revokes));
    let privileges = external_grant_changes(&quote_qname(t), (og, or), (&new.grants, &new.revokes));
    p.script
        .push(format!("privileges on external table {t}"), privileges);
    for tr in &new.triggers {
        if old.and_then(|o| o.triggers.iter().find(|x| x.name == tr.name)) != Some(tr) {
            p.script.push(
                format!("create trigger {} on external table {t}", tr.name),
                vec![create_trigger(t, tr)],
            );
        }
    }
    for pol in &new.policies {
        let old_pol = old.and_then(|o| o.policies.iter().find(|x| x.name == pol.name));
        match old_pol {
            Some(o) if same_policy(o, pol) && !reshaped(o) => {}
            Some(o)
                if o.command == pol.command && o.permissive == pol.permissive && !reshaped(o) =>
            {
                p.script.push(
                    format!("alter policy {} on external table {t}", pol.name),
                    alter_policy(t, pol),
                );
            }
            _ => p.script.push(
                format!("create policy {} on external table {t}", pol.name),
                create_policy(t, pol),
            ),
        }
    }
}

/// The project does not own the table, so other grants on it are not its business:
/// only the privileges the TOML granted and no longer grants are revoked (never
/// `REVOKE ALL`), and a revoke the TOML drops is not undone.
fn external_grant_changes(
    object: &str,
    old: (&[Grant], &[Grant]),
    new: (&[Grant], &[Grant]),
) -> Vec<String> {
    let (a, b) = (granted(old.0), granted(new.0));
    let mut out = Vec::new();
    let list = |s: &BTreeSet<&String>| {
        s.iter()
            .map(|p| p.to_uppercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let empty = BTreeSet::new();
    // A new revoke takes back what the role held: its grant is given again in full.
    let mut revoked: BTreeSet<&String> = BTreeSet::new();
    for r in new.1 {
        if !old.1.contains(r) {
            out.extend(crate::emit::privileges(
                object,
                &[],
                std::slice::from_ref(r),
            ));
            revoked.insert(&r.role);
        }
    }
    let roles: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for r in roles {
        let (x, y) = (a.get(r).unwrap_or(&empty), b.get(r).unwrap_or(&empty));
        let x = if revoked.contains(r) { &empty } else { x };
        let lost: BTreeSet<&String> = x.difference(y).collect();
        let gained: BTreeSet<&String> = y.difference(x).collect();
        if !lost.is_empty() {
            out.push(format!(
                "REVOKE {} ON TABLE {object} FROM {};",
                list(&lost),
                quote_role(r)
            ));
        }
        if !gained.is_empty() {
            out.push(format!(
                "GRANT {} ON TABLE {object} TO {};",
                list(&gained),
                quote_role(r)
            ));
        }
    }
    out
}
