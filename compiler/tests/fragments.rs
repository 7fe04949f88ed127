//! Column names inside SQL fragments: every typo of the `column_typos` fixture is
//! reported, each at the exact bytes of the misspelt name inside the TOML string.

use std::path::Path;

#[test]
fn every_column_typo_is_reported_at_its_own_bytes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/err/column_typos");
    let c = schemac::compile(&dir);
    let diags: Vec<_> = c
        .diagnostics
        .sorted(&c.sources)
        .into_iter()
        .filter(|d| d.code == "unknown-column")
        .collect();
    assert!(diags.len() >= 30, "only {} typos found", diags.len());
    let mut kinds = std::collections::BTreeSet::new();
    for d in &diags {
        let label = &d.labels[0];
        let text = &c.sources.get(label.loc.file).text;
        let at = &text[label.loc.span.clone()];
        // The message quotes what was written (`m.usr_id`); the label covers the column.
        let written = d
            .message
            .split(" reads ")
            .nth(1)
            .and_then(|r| r.split('`').nth(1))
            .unwrap_or_default();
        let column = written.rsplit('.').next().unwrap_or_default();
        assert_eq!(at, column, "{}", d.message);
        assert!(d.help.is_some(), "{}", d.message);
        kinds.insert(
            d.message
                .split(" reads ")
                .next()
                .unwrap_or_default()
                .to_string(),
        );
    }
    // A view's output columns are known to a view and a policy that read it.
    for (message, column) in [
        (
            "the query of view `crm_member_totals` reads `membrs`",
            "membrs",
        ),
        (
            "policy `crm_workspaces_with_members` reads `c.membres`",
            "membres",
        ),
    ] {
        let d = diags
            .iter()
            .find(|d| d.message.contains(message))
            .unwrap_or_else(|| panic!("not reported: {message}"));
        assert!(
            d.help.as_deref().is_some_and(|h| h.contains("`members`")),
            "{:?}",
            d.help
        );
        let label = &d.labels[0];
        assert_eq!(
            &c.sources.get(label.loc.file).text[label.loc.span.clone()],
            column
        );
    }
    // Checks, defaults, generated columns, conversions, index expressions and predicates,
    // policies, trigger conditions and view queries.
    for kind in [
        "the check of",
        "check",
        "the default of",
        "the generated column",
        "the `using` of",
        "the index expression",
        "the index predicate",
        "the `with_check` of policy",
        "the `when` of trigger",
        "the query of view",
        "the body of",
    ] {
        assert!(
            kinds.iter().any(|k| k.starts_with(kind)),
            "no typo reported in {kind}: {kinds:?}"
        );
    }
}

#[test]
fn literals_that_are_not_enum_values_are_reported_at_the_literal() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/err/enum_values");
    let c = schemac::compile(&dir);
    let diags: Vec<_> = c
        .diagnostics
        .sorted(&c.sources)
        .into_iter()
        .filter(|d| d.code == "enum-value")
        .collect();
    let found: Vec<&str> = diags
        .iter()
        .map(|d| {
            let l = &d.labels[0];
            &c.sources.get(l.loc.file).text[l.loc.span.clone()]
        })
        .collect();
    // A default, a check, an index predicate (IN list), a policy, a view, and what an
    // SQL function's UPDATE and INSERT write; the valid comparisons and values and the
    // cast default are not reported.
    assert_eq!(
        found,
        [
            "'neww'",
            "'archived'",
            "'lsot'",
            "'qualifed'",
            "'closed'",
            "'reopened'",
            "'fresh'"
        ]
    );
    assert!(diags.iter().any(|d| d
        .message
        .contains("assigns 'reopened' to the enum column `status`")));
}
