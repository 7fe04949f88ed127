//! The column check on expressions and queries.

use super::*;

fn check(text: &str, query: bool, base: &[(&str, &[&str])]) -> Vec<String> {
    let base: Vec<ScopeRelation> = base
        .iter()
        .map(|(n, cols)| ScopeRelation {
            name: n.to_string(),
            columns: Some(cols.iter().map(|c| c.to_string()).collect()),
            enums: vec![("status".into(), vec!["new".into(), "won".into()])],
        })
        .collect();
    let tree = ParsedFragment::parse(text, query).unwrap();
    let lookup = |parts: &[String]| match parts.last().map(String::as_str) {
        Some("members") => Some(ScopeRelation {
            columns: Some(["user_id".to_string(), "workspace_id".to_string()].into()),
            ..ScopeRelation::default()
        }),
        _ => None,
    };
    let found = check_columns(text, &tree, &base, &lookup);
    found
        .unknown
        .into_iter()
        .map(|u| format!("{}@{:?}", u.written, u.range))
        .chain(
            found
                .bad_literals
                .into_iter()
                .map(|b| format!("{}='{}'@{:?}", b.column, b.value, b.range)),
        )
        .collect()
}

#[test]
fn typos_are_found_at_their_bytes() {
    let t = [("leads", &["id", "owner_id", "status"][..])];
    assert_eq!(
        check("owner_idd = auth.uid()", false, &t),
        ["owner_idd@Some(0..9)"]
    );
    assert_eq!(
        check("leads.statuss <> 'x'", false, &t),
        ["leads.statuss@Some(6..13)"]
    );
    assert!(check(
        "status <> 'new' and id is not null and current_user = 'a'",
        false,
        &t
    )
    .is_empty());
}

#[test]
fn subqueries_see_their_from_and_the_outer_table() {
    let t = [("leads", &["id", "owner_id", "workspace_id"][..])];
    let ok = "exists (select 1 from members m where m.workspace_id = workspace_id and m.user_id = (select auth.uid()))";
    assert!(check(ok, false, &t).is_empty());
    let bad = "exists (select 1 from members m where m.workspace_idd = workspace_id)";
    assert_eq!(check(bad, false, &t), ["m.workspace_idd@Some(40..53)"]);
    // Unknown relations (views, CTEs, functions) open the scope.
    assert!(check(
        "exists (select 1 from some_view v where v.anything = x)",
        false,
        &t
    )
    .is_empty());
    assert!(check(
        "with c as (select f(x) from t) select c.z from c",
        true,
        &[]
    )
    .is_empty());
    // A CTE whose columns can be named is checked like a table.
    assert_eq!(
        check("with c as (select 1 as n) select n, c.z from c", true, &[]),
        ["c.z@Some(38..39)"]
    );
    // A CTE's query does not see the query that declares it: `role` is a column of `c`
    // there, not of `members`.
    assert_eq!(
        check(
            "with c as (select role from members) select c.role from c",
            true,
            &[]
        ),
        ["role@Some(18..22)"]
    );
    // It does see what is outside that query (the policy's table here).
    assert!(check(
        "exists (with c as (select user_id from members where user_id = owner_id) select 1 from c)",
        false,
        &[("leads", &["id", "owner_id"][..])]
    )
    .is_empty());
}

#[test]
fn literals_compared_with_enum_columns_are_values_of_the_enum() {
    let t = [("leads", &["id", "status"][..])];
    assert!(check(
        "status = 'won' or leads.status in ('new', 'won')",
        false,
        &t
    )
    .is_empty());
    assert_eq!(
        check(
            "status <> 'lost' and 'closed'::text = leads.status",
            false,
            &t
        ),
        ["status='lost'@Some(10..16)", "status='closed'@Some(21..29)"]
    );
    assert_eq!(
        check("status in ('new', 'wonn')", false, &t),
        ["status='wonn'@Some(18..24)"]
    );
}

#[test]
fn a_default_reads_no_columns() {
    assert!(check("now()", false, &[]).is_empty());
    assert_eq!(
        check("created_at + interval '1 day'", false, &[]),
        ["created_at@Some(0..10)"]
    );
}
