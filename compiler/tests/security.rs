//! Security lint rules proven on PostgreSQL: the hole a rule reports is exploited on SQL
//! built with the rule turned off, and is closed on the project that satisfies it.

mod support;

use std::path::{Path, PathBuf};

use support::cli::{copy_dir, tempdir};
use support::{compile_ok, pg::Server};

const USER_A: &str = "00000000-0000-0000-0000-00000000000a";
const USER_B: &str = "00000000-0000-0000-0000-00000000000b";

/// A lint fixture as a project of its own, with `extra` appended to `schemac.toml`.
fn fixture(rule: &str, case: &str, extra: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(rule)
        .join(case);
    let dir = tempdir(&format!("{rule}-{case}"));
    copy_dir(&src, &dir);
    let p = dir.join("schemac.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, format!("{text}\n{extra}\n")).unwrap();
    dir
}

/// `sql` run as `role` (with `sub` as `auth.uid()` when given), in its own transaction.
fn as_role(role: &str, sub: Option<&str>, sql: &str) -> String {
    let claims = sub.map_or(String::new(), |s| {
        format!("SELECT set_config('request.jwt.claims', '{{\"sub\":\"{s}\",\"role\":\"{role}\"}}', true);\n")
    });
    format!("BEGIN;\nSET LOCAL ROLE {role};\n{claims}{sql}\nCOMMIT;\n")
}

#[test]
fn rls_off_with_access_another_user_turns_off_mfa_and_anon_writes_until_revoked() {
    let server = Server::get();
    let seed = format!(
        "INSERT INTO public.sys_mfa_settings (user_id, enabled) VALUES ('{USER_A}', true);"
    );
    let bob_disables_ann =
        format!("UPDATE public.sys_mfa_settings SET enabled = false WHERE user_id = '{USER_A}';");
    let anon_inserts = format!(
        "INSERT INTO public.sys_mfa_settings (user_id, enabled) VALUES ('{USER_B}', false);"
    );

    // The rule turned off: the SQL is built, and the hole is real.
    let open = fixture(
        "rls-off-with-access",
        "triggers",
        "[lint]\nrls-off-with-access = \"off\"",
    );
    let c = compile_ok(&open);
    let db = server.database("rls_off_open");
    db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
        .unwrap();
    db.exec(&seed).unwrap();
    db.exec(&as_role("authenticated", Some(USER_B), &bob_disables_ann))
        .expect("with RLS off, the policy does not stop another user");
    assert_eq!(
        db.query_one(&format!(
            "select enabled from public.sys_mfa_settings where user_id = '{USER_A}'"
        )),
        "f",
        "Bob turned off Ann's MFA"
    );
    db.exec(&as_role("anon", None, &anon_inserts))
        .expect("anon writes to the table");

    // The rule satisfied (and on): the same requests are refused.
    let closed = fixture("rls-off-with-access", "clean", "");
    let c = compile_ok(&closed);
    let db = server.database("rls_off_closed");
    db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
        .unwrap();
    db.exec(&seed).unwrap();
    let e = db
        .exec(&as_role("authenticated", Some(USER_B), &bob_disables_ann))
        .expect_err("authenticated holds no privilege");
    assert!(e.contains("permission denied"), "{e}");
    let e = db
        .exec(&as_role("anon", None, &anon_inserts))
        .expect_err("anon holds no privilege");
    assert!(e.contains("permission denied"), "{e}");
    assert_eq!(
        db.query_one(&format!(
            "select enabled from public.sys_mfa_settings where user_id = '{USER_A}'"
        )),
        "t"
    );

    // And the rule reports the open project.
    let c = schemac::compile(&fixture("rls-off-with-access", "triggers", ""));
    let codes: Vec<String> = c
        .diagnostics
        .into_vec()
        .into_iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| c.starts_with("rls-off-with-access"))
            .count(),
        3,
        "{codes:?}"
    );
}

#[test]
fn user_editable_authorization_a_user_makes_themselves_admin_until_app_metadata_decides() {
    let server = Server::get();
    // Bob wrote { "role": "admin" } into his own user_metadata (supabase.auth.updateUser).
    let read_as_bob = format!(
        "BEGIN;\nSET LOCAL ROLE authenticated;\n\
         SELECT set_config('request.jwt.claims', '{{\"sub\":\"{USER_B}\",\"role\":\"authenticated\",\"user_metadata\":{{\"role\":\"admin\"}},\"app_metadata\":{{}}}}', true);\n\
         SELECT count(*) FROM public.sys_audit_reports;\nCOMMIT;"
    );
    let seed =
        "INSERT INTO public.sys_audit_reports (body) VALUES ('salary review'), ('incident');";
    let count = |case: &str, extra: &str| {
        let c = compile_ok(&fixture("user-editable-authorization", case, extra));
        let db = server.database(&format!("meta_{case}"));
        db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
            .unwrap();
        db.exec(seed).unwrap();
        let out = db.exec(&read_as_bob).unwrap();
        out.lines()
            .map(str::trim)
            .find(|l| l.chars().all(|c| c.is_ascii_digit()) && !l.is_empty())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        count("triggers", "[lint]\nuser-editable-authorization = \"off\""),
        "2",
        "with the rule off, Bob's own metadata makes him admin"
    );
    assert_eq!(
        count("clean", ""),
        "0",
        "app_metadata is not Bob's to write"
    );
}

#[test]
fn duplicate_foreign_key_a_conflicting_key_refuses_valid_rows_until_one_key_remains() {
    let server = Server::get();
    let account = "00000000-0000-0000-0000-0000000000c1";
    let insert = format!(
        "INSERT INTO public.sys_accounts (id) VALUES ('{account}');\n\
         INSERT INTO public.sys_notes (account_id) VALUES ('{account}');"
    );
    let c = compile_ok(&fixture(
        "duplicate-foreign-key",
        "triggers",
        "[lint]\nduplicate-foreign-key = \"off\"\nrls-enabled-no-policy = \"off\"",
    ));
    let db = server.database("fk_conflict");
    db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
        .unwrap();
    let e = db
        .exec(&insert)
        .expect_err("the conflicting key demands the account be an owner too");
    assert!(e.contains("sys_notes_account_owner_fkey"), "{e}");

    let c = compile_ok(&fixture(
        "duplicate-foreign-key",
        "clean",
        "[lint]\nrls-enabled-no-policy = \"off\"",
    ));
    let db = server.database("fk_single");
    db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
        .unwrap();
    let owner = "00000000-0000-0000-0000-0000000000d1";
    db.exec(&format!(
        "INSERT INTO public.sys_accounts (id) VALUES ('{account}');\n\
         INSERT INTO public.sys_owners (id) VALUES ('{owner}');\n\
         INSERT INTO public.sys_notes (account_id, owner_id) VALUES ('{account}', '{owner}');"
    ))
    .expect("one key per column: the row is accepted");
}
