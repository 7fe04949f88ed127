//! The policies and triggers of imported tables, and how a catalog row becomes one
//! (shared with the objects on external tables).

use std::collections::BTreeMap;

use super::model::*;
use super::read::opt;
use crate::live::drift::Query;

/// What a policy row holds after its table: see [`policy_of`].
pub(super) const POLICY_COLUMNS: &str = "p.polname, p.polpermissive, \
     (select string_agg(case when r = 0 then 'public' else pg_get_userbyid(r)::text end, ',' order by 1) from unnest(p.polroles) r), \
     p.polcmd, coalesce(pg_get_expr(p.polqual, p.polrelid), ''), coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), \
     coalesce(obj_description(p.oid, 'pg_policy'), '')";

/// A policy from the [`POLICY_COLUMNS`] of a row; the roles it names join `roles`.
pub(super) fn policy_of(
    r: &[String],
    roles_seen: &mut std::collections::BTreeSet<String>,
) -> Policy {
    let roles: Vec<String> = r[2]
        .split(',')
        .filter(|s| !s.is_empty() && *s != "public")
        .map(str::to_string)
        .collect();
    roles_seen.extend(roles.iter().cloned());
    let command = match r[3].as_str() {
        "r" => "select",
        "a" => "insert",
        "w" => "update",
        "d" => "delete",
        _ => "all",
    };
    Policy {
        name: r[0].clone(),
        permissive: r[1] == "t",
        roles,
        command: command.into(),
        using: opt(&r[4]),
        with_check: opt(&r[5]),
        comment: opt(&r[6]),
    }
}

pub(super) fn read_policies(
    query: &mut Query,
    cat: &mut Catalog,
    index_of: &BTreeMap<String, usize>,
) -> Result<(), String> {
    let oid_list = index_of.keys().cloned().collect::<Vec<_>>().join(",");
    let rows = query(&format!(
        "select p.polrelid, {POLICY_COLUMNS} from pg_policy p where p.polrelid in ({oid_list}) order by p.polrelid, p.polname"
    ))?;
    for r in &rows {
        let Some(&i) = index_of.get(&r[0]) else {
            continue;
        };
        let policy = policy_of(&r[1..], &mut cat.roles);
        cat.tables[i].policies.push(policy);
    }
    Ok(())
}

/// A trigger as the language writes it, from the columns `tgname, tgtype, function
/// schema, function name, pg_get_triggerdef, tgattr, function imported, tgenabled`;
/// `None` when the language cannot express it (UPDATE OF columns, INSTEAD OF,
/// disabled, or a function outside the imported schemas).
pub(super) fn trigger_of(r: &[String]) -> Option<Trigger> {
    let ty: i64 = r[1].parse().unwrap_or(0);
    let def = &r[4];
    let condition = def.find(" WHEN (").and_then(|at| {
        let rest = &def[at + " WHEN (".len()..];
        rest.rfind(") EXECUTE ").map(|end| rest[..end].to_string())
    });
    let mut events = Vec::new();
    for (bit, e) in [
        (4, "insert"),
        (16, "update"),
        (8, "delete"),
        (32, "truncate"),
    ] {
        if ty & bit != 0 {
            events.push(e);
        }
    }
    let timing = if ty & 64 != 0 {
        "instead"
    } else if ty & 2 != 0 {
        "before"
    } else {
        "after"
    };
    let expressible = timing != "instead" && r[5].trim().is_empty() && r[6] == "t" && r[7] != "D";
    expressible.then(|| Trigger {
        name: r[0].clone(),
        timing,
        events,
        for_each_row: ty & 1 != 0,
        function: format!("{}.{}", r[2], r[3]),
        condition,
    })
}

pub(super) fn read_triggers(
    query: &mut Query,
    cat: &mut Catalog,
    index_of: &BTreeMap<String, usize>,
    in_list: &str,
) -> Result<(), String> {
    let oid_list = index_of.keys().cloned().collect::<Vec<_>>().join(",");
    let rows = query(&format!(
        "select t.tgrelid, t.tgname, t.tgtype, fn.nspname, f.proname, pg_get_triggerdef(t.oid, true), t.tgattr::text, fn.nspname in ({in_list}), t.tgenabled \
         from pg_trigger t join pg_proc f on f.oid = t.tgfoid join pg_namespace fn on fn.oid = f.pronamespace \
         where t.tgrelid in ({oid_list}) and not t.tgisinternal order by t.tgrelid, t.tgname"
    ))?;
    for r in &rows {
        let Some(&i) = index_of.get(&r[0]) else {
            continue;
        };
        let t = &mut cat.tables[i];
        if let Some(trigger) = trigger_of(&r[1..]) {
            t.triggers.push(trigger);
        } else {
            let def = &r[5];
            let owner = t.name.clone();
            let created = format!("{}.{}.{}", t.schema, t.name, r[1]);
            cat.raws.push(Raw {
                owner: owner.clone(),
                name: r[1].clone(),
                sql: format!("{def};"),
                why: "a trigger the language does not express (UPDATE OF columns, INSTEAD OF, disabled, or a function outside the imported schemas)".into(),
                depends_on: vec![owner],
                creates: vec![("triggers", created)],
            });
        }
    }
    Ok(())
}
