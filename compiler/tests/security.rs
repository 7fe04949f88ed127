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

/// The fixture's `schemac.toml` with `platform` set under `[project]`.
fn on_platform(dir: &Path, platform: &str) {
    let p = dir.join("schemac.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let text = text.replacen(
        "postgres = 15\n",
        &format!("postgres = 15\nplatform = \"{platform}\"\n"),
        1,
    );
    std::fs::write(&p, text).unwrap();
}

/// Builds the project and applies `schema.sql` to a fresh database (with Supabase's
/// default privileges when the project deploys there).
fn deployed(dir: &Path, label: &str) -> support::pg::TestDb {
    let c = compile_ok(dir);
    let db = Server::get()
        .database(label)
        .like_platform(c.ir.as_ref().unwrap());
    db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
        .unwrap();
    db
}

#[test]
fn security_definer_executable_anon_deletes_the_logs_until_only_service_role_may() {
    let seed = "INSERT INTO public.sys_logs (created_at) VALUES (now() - interval '90 days');";
    let cleanup = "SELECT public.sys_cleanup_logs();";

    let open = fixture(
        "security-definer-executable",
        "triggers",
        "[lint]\nsecurity-definer-executable = \"off\"",
    );
    let db = deployed(&open, "sd_exec_open");
    db.exec(seed).unwrap();
    db.exec(&as_role("anon", None, cleanup))
        .expect("anon may call the function");
    assert_eq!(
        db.query_one("select count(*) from public.sys_logs"),
        "0",
        "anon deleted the logs with the owner's rights"
    );

    for platform in ["postgres", "supabase"] {
        let closed = fixture("security-definer-executable", "clean", "");
        on_platform(&closed, platform);
        let db = deployed(&closed, &format!("sd_exec_closed_{platform}"));
        db.exec(seed).unwrap();
        for role in ["anon", "authenticated"] {
            let e = db
                .exec(&as_role(role, None, cleanup))
                .expect_err("only service_role may execute it");
            assert!(e.contains("permission denied for function"), "{e}");
        }
        db.exec(&as_role("service_role", None, cleanup))
            .expect("service_role runs the retention job");
        assert_eq!(db.query_one("select count(*) from public.sys_logs"), "0");
    }
}

#[test]
fn always_true_policy_a_user_defaces_another_users_note_and_reads_their_tokens() {
    let seed = format!(
        "INSERT INTO public.sys_notes (user_id, body) VALUES ('{USER_A}', 'ann''s');\n\
         INSERT INTO public.sys_oauth_tokens (user_id, access_token) VALUES ('{USER_A}', 'ann-secret');"
    );
    // No WHERE: only the update policy decides which rows change.
    let take_over = "UPDATE public.sys_notes SET body = 'defaced by bob';";
    let read_tokens = "SELECT access_token FROM public.sys_oauth_tokens;";

    let open = fixture(
        "always-true-policy",
        "triggers",
        "[lint]\nalways-true-policy = \"off\"",
    );
    let db = deployed(&open, "always_true_open");
    db.exec(&seed).unwrap();
    db.exec(&as_role("authenticated", Some(USER_B), take_over))
        .unwrap();
    assert_eq!(
        db.query_one("select body from public.sys_notes"),
        "defaced by bob",
        "Bob changed Ann's note"
    );
    let leaked = db
        .exec(&as_role("authenticated", Some(USER_B), read_tokens))
        .unwrap();
    assert!(
        leaked.contains("ann-secret"),
        "Bob reads Ann's token: {leaked}"
    );

    let closed = fixture("always-true-policy", "clean", "");
    let db = deployed(&closed, "always_true_closed");
    db.exec(&seed).unwrap();
    db.exec(&as_role("authenticated", Some(USER_B), take_over))
        .unwrap();
    assert_eq!(
        db.query_one("select body from public.sys_notes"),
        "ann's",
        "Ann's note is unchanged"
    );
    let read = db
        .exec(&as_role("authenticated", Some(USER_B), read_tokens))
        .unwrap();
    assert!(!read.contains("ann-secret"), "{read}");
}

#[test]
fn view_not_security_invoker_every_email_leaks_through_a_view_over_auth_users() {
    let seed = format!(
        "INSERT INTO auth.users (id, email) VALUES ('{USER_A}', 'ann@example.com'), ('{USER_B}', 'bob@example.com');"
    );
    let read = "SELECT email FROM public.crm_user_emails ORDER BY 1;";

    let open = fixture(
        "view-not-security-invoker",
        "triggers",
        "[lint]\nview-not-security-invoker = \"off\"",
    );
    let db = deployed(&open, "view_owner_open");
    db.exec(&seed).unwrap();
    let leaked = db
        .exec(&as_role("authenticated", Some(USER_B), read))
        .unwrap();
    assert!(
        leaked.contains("ann@example.com"),
        "Bob reads Ann's email: {leaked}"
    );

    // The clean fixture shows other cases of the rule too (a lookup table without RLS).
    let closed = fixture(
        "view-not-security-invoker",
        "clean",
        "[lint]\ntable-not-plural = \"off\"\nrls-disabled = \"off\"",
    );
    let db = deployed(&closed, "view_owner_closed");
    db.exec(&seed).unwrap();
    let e = db
        .exec(&as_role("authenticated", Some(USER_B), read))
        .expect_err("the view runs with the caller's rights");
    assert!(e.contains("permission denied for table users"), "{e}");
}

#[test]
fn platform_supabase_takes_back_what_default_privileges_give_the_api_roles() {
    let privileges = "SELECT r, has_table_privilege(r, 'public.sys_notes', 'INSERT'), \
        has_table_privilege(r, 'public.sys_notes', 'SELECT'), \
        has_function_privilege(r, 'public.sys_is_member(uuid)', 'EXECUTE') \
        FROM unnest(ARRAY['anon', 'authenticated']) AS r ORDER BY r";

    // Built for plain PostgreSQL and deployed where Supabase's default privileges apply
    // (the shim sets them): anon holds every privilege the TOML never granted.
    let on_supabase = |dir: &Path, label: &str| {
        let c = compile_ok(dir);
        let db = Server::get().database(label).with_supabase_defaults();
        db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
            .unwrap();
        db
    };
    let plain = fixture("policy-never-applies", "clean", "");
    on_platform(&plain, "postgres");
    let db = on_supabase(&plain, "platform_postgres");
    assert_eq!(
        db.query(privileges),
        ["anon|t|t|t", "authenticated|t|t|t"],
        "default privileges open the table and the function to anon"
    );

    let supabase = fixture("policy-never-applies", "clean", "");
    on_platform(&supabase, "supabase");
    let db = on_supabase(&supabase, "platform_supabase");
    assert_eq!(
        db.query(privileges),
        ["anon|f|f|f", "authenticated|f|t|t"],
        "exactly the declared grants"
    );
}
