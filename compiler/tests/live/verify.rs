//! `schemac verify`: the project applied to scratch databases, each refusal named at
//! its place in the TOML.

use super::*;

/// The verify tests count scratch databases on the shared server: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn verify(project: &Path, out: &Path, url: Option<&str>) -> Output {
    let mut args = vec![
        "verify",
        "--project",
        project.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(u) = url {
        args.extend(["--database-url", u]);
    }
    run(&args, out, &[("NO_COLOR", "1")])
}

fn scratch_databases(db: &TestDb) -> String {
    db.query_one("select count(*) from pg_database where datname like 'schemac_verify_%'")
}

#[test]
fn the_example_verifies_on_a_given_server_and_on_a_throwaway_one() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let root = support::repo_root();
    let out = example_history();
    let admin = Server::get().database("verify_admin");
    let o = verify(&root.join("schemas"), &out, Some(&admin.url()));
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("3 released migration(s)") && t.contains("both databases match the TOML"),
        "{t}"
    );
    assert_eq!(scratch_databases(&admin), "0", "scratch databases dropped");

    // Without a URL: a throwaway server of its own, gone afterwards.
    let o = verify(&root.join("schemas"), &out, None);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("starting a throwaway PostgreSQL server"), "{t}");

    // Pending changes (a table the history does not have yet) are applied too.
    let project = tempdir("verify-pending").join("schemas");
    copy_dir(&root.join("schemas"), &project);
    let domain = project.join("domains/crm.toml");
    let mut toml = std::fs::read_to_string(&domain).unwrap();
    toml.push_str("\n[tables.crm_tags]\nrls = false\nrls_reason = \"a lookup table\"\n[tables.crm_tags.columns]\nid = { type = \"bigint\", identity = \"always\", primary_key = true }\nlabel = { type = \"text\", not_null = true }\n");
    std::fs::write(&domain, toml).unwrap();
    let o = verify(&project, &out, Some(&admin.url()));
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("and the pending changes"), "{t}");
}

#[test]
fn each_object_postgresql_refuses_is_named_at_its_place_in_the_toml() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/refused");
    let out = tempdir("verify-refused");
    let admin = Server::get().database("verify_refused_admin");
    let o = verify(&project, &out, Some(&admin.url()));
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    // (what, where, PostgreSQL's words)
    let expected = [
        (
            "index `idx_vf_items_created_at` of `vf_items`",
            "vf.toml:15:1]",
            "must be marked IMMUTABLE",
        ),
        (
            "policy `vf_items_owner_select`",
            "vf.toml:19:27]",
            "uuid = integer",
        ),
        (
            "trigger `tr_vf_items_touch`",
            "vf.toml:24:27]",
            "text > integer",
        ),
        (
            "column `vf_ranks.rank`",
            "vf.toml:38:1]",
            "invalid input syntax for type integer",
        ),
        (
            "check `vf_labels_label_short`",
            "vf.toml:47:26]",
            "text < integer",
        ),
        ("view `vf_item_slugs`", "vf.toml:50:8]", "text + integer"),
        ("function `vf_count`", "vf.toml:68:12]", "text = integer"),
        (
            "raw SQL `vf_items_fillfactor`",
            "vf.toml:74:6]",
            "unrecognized parameter",
        ),
        (
            "trigger `tr_auth_users_vf` on `auth.users`",
            "vf.toml:79:27]",
            "text > integer",
        ),
        (
            "policy `vf_users_self` on `auth.users`",
            "vf.toml:85:27]",
            "uuid = integer",
        ),
        (
            "index `idx_users_vf_recent` on `auth.users`",
            "vf.toml:90:1]",
            "must be marked IMMUTABLE",
        ),
        (
            "the grant to `vf_auditor` on `auth.users`",
            "vf.toml:96:1]",
            "role \"vf_auditor\" does not exist",
        ),
    ];
    let flat = t.replace("\n  | ", " ");
    for (what, at, words) in expected {
        let i = flat
            .find(&format!("PostgreSQL refuses the SQL of {what}:"))
            .unwrap_or_else(|| panic!("{what} not reported:\n{t}"));
        let rest = &flat[i..];
        let block = &rest[..rest[1..]
            .find("PostgreSQL refuses")
            .map_or(rest.len(), |j| j + 1)];
        assert!(block.contains(words), "{what}: {block}");
        assert!(block.contains(at), "{what} not at {at}: {block}");
    }
    assert!(t.contains("12 error(s)"), "{t}");
    // vf_ranks was not created: its grants and RLS statements fail after it, silently.
    assert!(
        t.contains("more statement(s) failed because of the errors above"),
        "{t}"
    );
    assert_eq!(scratch_databases(&admin), "0", "scratch databases dropped");
}

#[test]
fn a_released_migration_that_fails_is_named_with_its_line() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let root = support::repo_root();
    let out = example_history();
    let up = out.join("migrations/0002_standardize_phase1/up.sql");
    let text_of = std::fs::read_to_string(&up).unwrap();
    let broken = text_of.replacen(
        "\nCOMMIT;",
        "\nALTER TABLE public.no_such_table ADD COLUMN x int;\nCOMMIT;",
        1,
    );
    let line = broken[..broken.find("no_such_table").unwrap()]
        .matches('\n')
        .count()
        + 1;
    std::fs::write(&up, broken).unwrap();
    std::fs::write(
        out.join("migrations/schemac.sum"),
        schemac::history::compute_sum(&out.join("migrations")),
    )
    .unwrap();
    let admin = Server::get().database("verify_history_admin");
    let o = verify(&root.join("schemas"), &out, Some(&admin.url()));
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains(&format!(
            "0002_standardize_phase1/up.sql: line {line}: ALTER TABLE public.no_such_table"
        )),
        "{t}"
    );
    assert!(
        t.contains("relation \"public.no_such_table\" does not exist"),
        "{t}"
    );

    // A server that cannot be reached: one line, no panic.
    let o = verify(
        &root.join("schemas"),
        &out,
        Some("postgresql://nobody:secret-pw@127.0.0.1:1/x?connect_timeout=2"),
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("cannot connect") && !t.contains("secret-pw"),
        "{t}"
    );
}

/// An external table the server lacks is created from its declaration (a unique key on
/// the columns foreign keys reference), so the project's foreign key, view and trigger
/// are tried against it; the stand-in is not drift.
#[test]
fn external_tables_the_server_lacks_get_stand_ins() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/stand_ins");
    let out = tempdir("verify-stand-ins");
    let admin = Server::get().database("verify_stand_ins_admin");
    let o = verify(&project, &out, Some(&admin.url()));
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("the server has no legacy.accounts: created from their declaration"),
        "{t}"
    );
    assert!(t.contains("4 object(s) of schema.sql"), "{t}");
    assert_eq!(scratch_databases(&admin), "0", "scratch databases dropped");
}
