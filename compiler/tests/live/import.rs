//! `schemac import`.

use super::*;

/// Applies a project's `schema.sql` to a fresh database (with Supabase's defaults when
/// it deploys there).
fn built(dir: &Path, label: &str) -> TestDb {
    let c = support::compile_ok(dir);
    let db = Server::get()
        .database(label)
        .like_platform(c.ir.as_ref().unwrap());
    db.exec(&c.output.as_ref().unwrap().files["schema.sql"])
        .unwrap_or_else(|e| panic!("{}: schema.sql does not apply: {e}", dir.display()));
    db
}

fn import_into(db: &TestDb, project: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "import",
        "--database-url",
        &*Box::leak(db.url().into_boxed_str()),
        "--project",
        project.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args, project.parent().unwrap(), &[])
}

/// Whether two dumps are equal, line by line, except for expressions (checks, view
/// queries) whose tokens are the same once parentheses and casts are set aside. PostgreSQL stores
/// `x between 1 and 2` as `(x >= 1) AND (x <= 2)` nested in the expression around it, and
/// `v in ('a', 'b')` on a varchar as `ANY ((ARRAY['a'::varchar, ...])::text[])`; that text
/// parsed again gives an equivalent but differently printed tree. The catalogs hold the
/// parsed form, so no import can restore the original text (pg_dump has the same limit).
/// Whitespace around function bodies may differ too. The second round is exact: see
/// `round_trip`.
fn same_up_to_deparsing(a: &str, b: &str) -> bool {
    fn tokens(l: &str) -> String {
        let mut out = String::new();
        let mut chars = l.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '(' | ')' => {}
                ':' if chars.peek() == Some(&':') => {
                    chars.next();
                    while chars
                        .peek()
                        .is_some_and(|n| n.is_alphanumeric() || "_[] ".contains(*n))
                    {
                        let n = chars.next().unwrap();
                        if n == ' ' && !chars.peek().is_some_and(|x| x.is_alphabetic()) {
                            break;
                        }
                    }
                }
                c => out.push(c),
            }
        }
        out
    }
    // Function bodies keep their text, but schemac puts a body on lines of its own
    // (`AS $schemac$` newline, body, newline): whitespace around it may differ.
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    if a.lines().count() != b.lines().count() {
        return squash(a) == squash(b);
    }
    a.lines()
        .zip(b.lines())
        .all(|(x, y)| x == y || tokens(x) == tokens(y))
}

/// build -> apply -> import -> build -> apply: the two databases dump the same (up to
/// PostgreSQL's own deparsing, see `same_up_to_deparsing`); importing the rebuilt database
/// again gives exactly the same dump (a fixpoint); and an import is deterministic.
fn round_trip(dir: &Path, label: &str) {
    let a = built(dir, &format!("{label}_a"));
    round_trip_db(&a, dir, label);
}

/// [`round_trip`] from a database `a` already built from `dir` (named in messages).
fn round_trip_db(a: &TestDb, dir: &Path, label: &str) {
    let imported = tempdir(&format!("import-{label}")).join("project");
    let o = import_into(a, &imported, &[]);
    assert!(
        o.status.success(),
        "{}: import failed:\n{}",
        dir.display(),
        text(&o)
    );
    // The imported project describes the database it came from: no drift, what raw
    // blocks create included.
    let c = support::compile_ok(&imported);
    let drift = support::catalog::compare(c.ir.as_ref().unwrap(), a);
    assert!(
        drift.is_empty(),
        "{}: the database drifts from its own import:\n{drift:#?}",
        dir.display()
    );
    let b = built(&imported, &format!("{label}_b"));
    let schemas = ["public", "auth"];
    let (da, db) = (a.dump(&schemas), b.dump(&schemas));
    if !same_up_to_deparsing(&da, &db) {
        let diff = similar::TextDiff::from_lines(&da, &db);
        panic!(
            "{}: the imported project builds a different database:\n{}\nimport said:\n{}",
            dir.display(),
            diff.unified_diff().header("original", "imported"),
            text(&o)
        );
    }
    let again = tempdir(&format!("import-{label}-again")).join("project");
    let o = import_into(&b, &again, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let files = |root: &Path| -> Vec<(String, String)> {
        // The project is named after the database it came from: leave the name out.
        let project: String = std::fs::read_to_string(root.join("schemac.toml"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("name = ") && !l.starts_with("# Imported"))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut v = vec![("schemac.toml".to_string(), project)];
        let mut domains: Vec<_> = std::fs::read_dir(root.join("domains"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        domains.sort();
        for d in domains {
            v.push((
                d.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&d).unwrap(),
            ));
        }
        v
    };
    // The second round is exact: the rebuilt database dumps the same again.
    let c = built(&again, &format!("{label}_c"));
    assert_eq!(
        b.dump(&schemas),
        c.dump(&schemas),
        "{}: importing the imported database is not a fixpoint",
        dir.display()
    );
    // Deterministic: the same database imported twice gives the same files.
    let twice = tempdir(&format!("import-{label}-twice")).join("project");
    assert!(import_into(a, &twice, &[]).status.success());
    let (first, second) = (files(&imported), files(&twice));
    assert_eq!(
        first.len(),
        second.len(),
        "{}: a second import writes other files",
        dir.display()
    );
    for ((n1, t1), (n2, t2)) in first.iter().zip(&second) {
        assert_eq!(
            n1,
            n2,
            "{}: a second import writes other files",
            dir.display()
        );
        if t1 != t2 {
            let diff = similar::TextDiff::from_lines(t1, t2);
            panic!(
                "{}: a second import differs in {n1}:\n{}",
                dir.display(),
                diff.unified_diff().header("first", "second")
            );
        }
    }
}

#[test]
fn import_round_trips_every_project_to_an_equal_dump() {
    for (i, dir) in support::all_projects().iter().enumerate() {
        round_trip(dir, &format!("imp_{i}"));
    }
}

/// A database schemac did not write (hand-written DDL, 32 tables: serial and identity
/// keys, composite keys, foreign keys with actions, checks, partial and expression
/// indexes, views, policies, and the profile trigger on `auth.users`) imports, builds,
/// and round-trips to an equal dump.
#[test]
fn a_database_schemac_did_not_write_imports_builds_and_round_trips() {
    let ddl = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/handwritten.sql"),
    )
    .unwrap();
    let a = Server::get().database("hand_a").with_supabase_defaults();
    a.exec(&ddl).unwrap();
    assert!(
        a.query_one("select count(*) from pg_tables where schemaname = 'public'")
            .parse::<u32>()
            .unwrap()
            >= 30
    );
    let project = tempdir("import-hand").join("project");
    let o = import_into(&a, &project, &[]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert_eq!(t.matches("imported as a raw SQL block").count(), 2, "{t}");
    assert!(
        !t.contains("on_auth_user_created` imported as a raw"),
        "{t}"
    );
    assert!(
        t.contains("breaks `rls-disabled`") || t.contains("breaks `rls-off-with-access`"),
        "{t}"
    );
    assert!(t.contains("extension(s) pg_trgm"), "{t}");
    let toml = std::fs::read_to_string(project.join("schemac.toml")).unwrap();
    assert!(
        toml.contains("[extensions.pg_trgm]\nschema = \"extensions\""),
        "{toml}"
    );
    let c = support::compile_ok(&project);
    let ir = c.ir.as_ref().unwrap();
    assert_eq!(ir.project.platform, schemac::ir::Platform::Supabase);
    assert!(ir
        .project
        .external_tables
        .contains_key(&schemac::ir::QName::new("auth", "users")));
    // What the language cannot express is raw SQL that declares what it creates, so
    // the database shows no drift from its own import.
    let created: Vec<String> = ir
        .raws
        .iter()
        .map(|r| {
            let c = &r.creates;
            let names: Vec<String> = c
                .relations
                .iter()
                .chain(&c.functions)
                .map(|q| q.to_string())
                .chain(c.triggers.iter().map(|(t, n)| format!("{n} on {t}")))
                .collect();
            format!("{}: {}", r.name, names.join(", "))
        })
        .collect();
    assert_eq!(
        created,
        [
            "tasks_title_touched: tasks_title_touched on public.tasks",
            "function_is_org_member: public.is_org_member"
        ],
        "{created:#?}"
    );
    // A descending index is language now, not raw SQL.
    let due = ir
        .tables
        .iter()
        .flat_map(|t| &t.indexes)
        .find(|i| i.name == "tasks_due_desc_idx")
        .expect("tasks_due_desc_idx imported as an index");
    assert_eq!(due.key_options, ["DESC NULLS LAST"]);
    let drift = support::catalog::compare(ir, &a);
    assert!(drift.is_empty(), "{drift:#?}");
    // The profile trigger on auth.users is declared, not raw SQL.
    let on: Vec<String> = ir
        .on_external
        .iter()
        .flat_map(|o| {
            o.triggers
                .iter()
                .map(|t| t.name.as_str())
                .chain(o.policies.iter().map(|p| p.name.as_str()))
                .map(move |n| format!("{n} on {}", o.table))
        })
        .collect();
    // ... and so are the storage policies, with what they call declared external.
    assert_eq!(
        on,
        [
            "on_auth_user_created on auth.users",
            "avatars_owner_all on storage.objects",
            "org_logos_member_read on storage.objects"
        ]
    );
    assert!(ir
        .project
        .external_functions
        .contains(&schemac::ir::QName::new("storage", "foldername")));
    let b = built(&project, "hand_b");
    let schemas = ["public", "auth", "storage"];
    let (da, db) = (a.dump(&schemas), b.dump(&schemas));
    if !same_up_to_deparsing(&da, &db) {
        let diff = similar::TextDiff::from_lines(&da, &db);
        panic!(
            "the imported project builds a different database:\n{}",
            diff.unified_diff().header("hand-written", "imported")
        );
    }

    // The profile trigger works in the rebuilt database.
    b.exec("insert into auth.users (id, raw_user_meta_data) values ('00000000-0000-0000-0000-0000000000aa', '{\"full_name\": \"Ann\"}');")
        .unwrap();
    assert_eq!(b.query_one("select full_name from public.profiles"), "Ann");

    // An existing project is not replaced without --force.
    let o = import_into(&a, &project, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("pass --force"), "{}", text(&o));
    let o = import_into(&a, &project, &["--force"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// A Rails application's `db/structure.sql` (`pg_dump` output: `timestamp(6) without time
/// zone`, owned sequences, `character varying[]`, `fk_rails_*` keys, descending, partial and
/// expression indexes) imports with nothing raw or left out, builds as written, shows no
/// drift, and round-trips to an equal dump.
#[test]
fn a_rails_structure_sql_imports_builds_and_round_trips() {
    let ddl = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/rails_structure.sql"),
    )
    .unwrap();
    let a = Server::get().database("rails_a");
    a.exec(&ddl).unwrap();
    let project = tempdir("import-rails").join("project");
    let o = import_into(&a, &project, &["--strict"]);
    assert!(o.status.success(), "{}", text(&o));
    let c = support::compile_ok(&project);
    let ir = c.ir.as_ref().unwrap();
    assert_eq!(ir.tables.len(), 9);
    let users = ir.tables.iter().find(|t| t.name.name == "users").unwrap();
    let created = users.column("created_at").unwrap();
    assert_eq!(created.canonical_ty, "timestamp(6)");
    round_trip_db(&a, &project, "rails");
}
