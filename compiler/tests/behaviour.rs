//! Row-level security behaviour of the example platform on PostgreSQL: as `anon`
//! and as `authenticated` users with a JWT `sub` claim, rows are visible,
//! insertable, updatable and deletable exactly as the policies say, checked with
//! rows owned by the caller and by someone else.

mod support;

use support::pg::{Server, TestDb};

use support::rls::{ANN, BOB};

fn platform() -> TestDb {
    let root = support::repo_root();
    let db = Server::get().database("behaviour");
    db.exec(&std::fs::read_to_string(root.join("generated/schema.sql")).unwrap())
        .unwrap();
    db.exec(
        &std::fs::read_to_string(root.join("compiler/tests/fixtures/data/platform_rows.sql"))
            .unwrap(),
    )
    .unwrap();
    db
}

/// The platform with rows in every table (`platform_every_table.sql`): owned by Ann,
/// by Bob, by nobody, and crossing owners, so each policy admits some rows and refuses
/// others.
fn platform_every_table() -> TestDb {
    let db = platform();
    let rows = support::repo_root().join("compiler/tests/fixtures/data/platform_every_table.sql");
    db.exec(&std::fs::read_to_string(rows).unwrap()).unwrap();
    let empty = db.query_one(
        "SELECT count(*) FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace \
         AND (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname), false, true, '')))[1]::text::int < 2",
    );
    assert_eq!(empty, "0", "every table needs at least two fixture rows");
    db
}

/// Runs `sql` as a role (and user) the way PostgREST does; returns the output lines
/// that start with `=` (results) or the error.
fn as_role(db: &TestDb, role: &str, sub: Option<&str>, sql: &str) -> Result<String, String> {
    let claims = match sub {
        Some(s) => format!("SELECT set_config('request.jwt.claims', '{{\"sub\":\"{s}\",\"role\":\"{role}\"}}', true);\n"),
        None => format!("SELECT set_config('request.jwt.claims', '{{\"role\":\"{role}\"}}', true);\n"),
    };
    db.exec(&format!("\\pset tuples_only on\n\\pset format unaligned\nBEGIN;\nSET LOCAL ROLE {role};\n{claims}{sql}\nROLLBACK;"))
        .map(|out| out.lines().filter(|l| l.starts_with('=')).collect::<Vec<_>>().join("\n"))
}

fn count(db: &TestDb, role: &str, sub: Option<&str>, sql: &str) -> String {
    as_role(db, role, sub, &format!("SELECT '=' || ({sql});"))
        .unwrap_or_else(|e| panic!("{role}: {sql}: {e}"))
}

#[test]
fn owners_see_and_change_only_their_rows() {
    let db = platform();
    // Visibility.
    assert_eq!(
        count(
            &db,
            "authenticated",
            Some(ANN),
            "SELECT count(*) FROM crm_leads"
        ),
        "=2"
    );
    assert_eq!(
        count(
            &db,
            "authenticated",
            Some(BOB),
            "SELECT count(*) FROM crm_leads"
        ),
        "=1"
    );
    assert_eq!(
        count(
            &db,
            "authenticated",
            Some(ANN),
            "SELECT count(*) FROM user_profiles"
        ),
        "=1"
    );
    assert_eq!(
        count(
            &db,
            "authenticated",
            Some(ANN),
            "SELECT count(*) FROM comms_messages"
        ),
        "=1"
    );
    assert_eq!(
        count(
            &db,
            "authenticated",
            Some(BOB),
            "SELECT count(*) FROM deals"
        ),
        "=1"
    );
    // Updates and deletes reach only the caller's rows.
    let out = as_role(
        &db,
        "authenticated",
        Some(ANN),
        "WITH u AS (UPDATE crm_leads SET company = 'x' RETURNING 1) SELECT '=' || count(*) FROM u;",
    )
    .unwrap();
    assert_eq!(out, "=2");
    let out = as_role(&db, "authenticated", Some(ANN), &format!("WITH u AS (UPDATE crm_leads SET company = 'x' WHERE owner_id = '{BOB}' RETURNING 1) SELECT '=' || count(*) FROM u;")).unwrap();
    assert_eq!(out, "=0");
    let out = as_role(
        &db,
        "authenticated",
        Some(BOB),
        "WITH d AS (DELETE FROM crm_leads RETURNING 1) SELECT '=' || count(*) FROM d;",
    )
    .unwrap();
    assert_eq!(out, "=1");
    let out = as_role(&db, "authenticated", Some(ANN), &format!("WITH u AS (UPDATE user_profiles SET full_name = 'Z' WHERE id = '{BOB}' RETURNING 1) SELECT '=' || count(*) FROM u;")).unwrap();
    assert_eq!(out, "=0");
    // Inserts: own rows pass the WITH CHECK, someone else's are refused.
    as_role(
        &db,
        "authenticated",
        Some(ANN),
        &format!("INSERT INTO crm_leads (owner_id, first_name) VALUES ('{ANN}', 'new');"),
    )
    .unwrap();
    let err = as_role(
        &db,
        "authenticated",
        Some(ANN),
        &format!("INSERT INTO crm_leads (owner_id, first_name) VALUES ('{BOB}', 'forged');"),
    )
    .unwrap_err();
    assert!(err.contains("row-level security"), "{err}");
    // The insert policy of comms_messages also pins direction and status.
    as_role(&db, "authenticated", Some(ANN), &format!("INSERT INTO comms_messages (user_id, channel, direction, from_address, to_address, body) VALUES ('{ANN}', 'email', 'outbound', 'a', 'b', 'ok');")).unwrap();
    let err = as_role(&db, "authenticated", Some(ANN), &format!("INSERT INTO comms_messages (user_id, channel, direction, from_address, to_address, body) VALUES ('{ANN}', 'email', 'inbound', 'a', 'b', 'spoofed');")).unwrap_err();
    assert!(err.contains("row-level security"), "{err}");
}

#[test]
fn anon_and_authenticated_cannot_reach_service_role_only_tables() {
    let db = platform();
    for (role, sub) in [("anon", None), ("authenticated", Some(ANN))] {
        let err =
            as_role(&db, role, sub, "SELECT count(*) FROM system_logs_settings;").unwrap_err();
        assert!(err.contains("permission denied"), "{role}: {err}");
        let err = as_role(
            &db,
            role,
            sub,
            "INSERT INTO system_logs_settings (source) VALUES ('x');",
        )
        .unwrap_err();
        assert!(err.contains("permission denied"), "{role}: {err}");
    }
    assert_eq!(
        count(
            &db,
            "service_role",
            None,
            "SELECT count(*) FROM system_logs_settings"
        ),
        "=1"
    );
}

#[test]
fn anon_sees_no_private_rows() {
    let db = platform();
    for table in ["crm_leads", "user_profiles", "comms_messages", "deals"] {
        match as_role(
            &db,
            "anon",
            None,
            &format!("SELECT '=' || count(*) FROM {table};"),
        ) {
            Ok(out) => assert_eq!(out, "=0", "anon sees rows of {table}"),
            Err(e) => assert!(e.contains("permission denied"), "{table}: {e}"),
        }
    }
    let err = as_role(
        &db,
        "anon",
        None,
        &format!("INSERT INTO crm_leads (owner_id, first_name) VALUES ('{ANN}', 'spam');"),
    )
    .unwrap_err();
    assert!(
        err.contains("permission denied") || err.contains("row-level security"),
        "{err}"
    );
}

/// For every table and every caller (anon; authenticated as Ann; as Bob), the rows
/// a SELECT returns are exactly those the table's policies admit, computed from the
/// TOML: (any permissive USING) AND (every restrictive USING), evaluated by the
/// owner with the same claims. A caller without the SELECT privilege is refused.
#[test]
fn every_table_shows_exactly_the_rows_its_policies_admit() {
    use schemac::ir::PolicyCommand;
    let db = platform_every_table();
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let mut checked_rows = 0;
    for t in &ir.tables {
        let tq = schemac::emit::quote_qname(&t.name);
        for support::rls::Caller { role, sub } in support::rls::CALLERS {
            let expected_filter =
                support::rls::combined(t, role, PolicyCommand::Select, support::rls::Clause::Using);
            let claims = match sub {
                Some(s) => format!("{{\"sub\":\"{s}\",\"role\":\"{role}\"}}"),
                None => format!("{{\"role\":\"{role}\"}}"),
            };
            let expected = db
                .exec(&format!("\\pset tuples_only on\n\\pset format unaligned\nBEGIN;\nSELECT set_config('request.jwt.claims', '{claims}', true);\nSELECT '=' || count(*) FROM {tq} WHERE {expected_filter};\nROLLBACK;"))
                .unwrap_or_else(|e| panic!("{}: expected rows for {role}: {e}", t.name))
                .lines()
                .find(|l| l.starts_with('='))
                .unwrap_or_default()
                .to_string();
            let may_select = db.query_one(&format!(
                "SELECT has_table_privilege('{role}', '{}', 'SELECT')",
                tq.replace('\'', "''")
            )) == "t";
            match as_role(
                &db,
                role,
                sub,
                &format!("SELECT '=' || count(*) FROM {tq};"),
            ) {
                Ok(actual) => {
                    assert!(
                        may_select,
                        "{}: {role} can select without the privilege",
                        t.name
                    );
                    assert_eq!(
                        actual, expected,
                        "{}: {role} {sub:?} sees {actual}, the policies admit {expected}",
                        t.name
                    );
                    checked_rows += expected
                        .trim_start_matches('=')
                        .parse::<usize>()
                        .unwrap_or(0);
                }
                Err(e) => {
                    assert!(
                        !may_select && e.contains("permission denied"),
                        "{}: {role}: {e}",
                        t.name
                    );
                }
            }
        }
    }
    assert!(
        checked_rows > 5,
        "the fixture rows must make some policies admit rows ({checked_rows})"
    );
}

/// For every table and every caller (anon; authenticated as Ann; as Bob), each row's
/// UPDATE, DELETE and re-INSERT has exactly the outcome the table's policies and
/// grants say (see `support::rls`): updated or filtered out, deleted or not,
/// inserted or refused by WITH CHECK, or refused for lack of privileges.
#[test]
fn every_table_writes_exactly_as_its_policies_say() {
    use support::rls::{check_writes, Target, CALLERS};
    let db = platform_every_table();
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let mut mismatches = Vec::new();
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for t in &ir.tables {
        for caller in CALLERS {
            for (cmd, o) in check_writes(&db, &Target::table(t), caller) {
                if o.expected != o.actual {
                    mismatches.push(format!(
                        "{} {cmd} as {} {:?}:\n    policies say {}\n    PostgreSQL did  {}",
                        t.name, caller.role, caller.sub, o.expected, o.actual
                    ));
                }
                for r in o.actual.split_whitespace() {
                    let verdict = r.split_once(':').map_or(r, |x| x.1);
                    *tally.entry(format!("{cmd} {verdict}")).or_default() += 1;
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatch(es):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    eprintln!("outcomes checked: {tally:?}");
    // The fixture must exercise each kind of outcome, or the comparison proves little.
    for kind in [
        "UPDATE 1",
        "UPDATE 0",
        "DELETE 1",
        "DELETE 0",
        "INSERT ok",
        "INSERT rls",
        "UPDATE denied",
        "INSERT denied",
    ] {
        assert!(
            tally.get(kind).copied().unwrap_or(0) > 0,
            "no row had outcome {kind}: {tally:?}"
        );
    }
}

/// The write check is not blind: after the database's policy drifts from the TOML
/// (Ann's WITH CHECK on `crm_leads` loosened to `true`), the comparison reports it.
#[test]
fn write_check_reports_a_policy_that_drifted_from_the_toml() {
    use support::rls::{check_writes, Caller, Target};
    let db = platform_every_table();
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let leads = ir
        .tables
        .iter()
        .find(|t| t.name.name == "crm_leads")
        .unwrap();
    let bob = Caller {
        role: "authenticated",
        sub: Some(BOB),
    };
    let before = check_writes(&db, &Target::table(leads), bob);
    assert!(
        before.iter().all(|(_, o)| o.expected == o.actual),
        "{before:?}"
    );
    db.exec(
        "ALTER POLICY crm_leads_owner_insert ON public.crm_leads WITH CHECK (true);\n\
         ALTER POLICY crm_leads_owner_update ON public.crm_leads USING (true) WITH CHECK (true);\n\
         ALTER POLICY crm_leads_owner_delete ON public.crm_leads USING (true);",
    )
    .unwrap();
    let after = check_writes(&db, &Target::table(leads), bob);
    for cmd in ["UPDATE", "DELETE", "INSERT"] {
        let o = &after.iter().find(|(c, _)| *c == cmd).unwrap().1;
        assert_ne!(
            o.expected, o.actual,
            "{cmd}: the drifted policy went unnoticed"
        );
    }
}
