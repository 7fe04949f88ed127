//! The `schemac` binary end to end: build, check, stale output, bad input.

mod support;

use std::time::Instant;

use support::cli::{copy_dir, repo, schemac, tempdir};

#[test]
fn committed_generated_output_is_up_to_date() {
    let out = schemac(&["check"], &repo());
    assert!(
        out.status.success(),
        "`schemac check` fails on the repository:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_schemas_in_docs_are_current() {
    for kind in ["project", "domain"] {
        let path = repo().join(format!("docs/schema/{kind}.schema.json"));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        let current = format!("{}\n", schemac::syntax::json_schema(kind));
        assert!(
            on_disk == current,
            "{} is stale; run `just schema`",
            path.display()
        );
    }
}

#[test]
fn build_is_idempotent_removes_stale_files_and_check_reports_drift() {
    let dir = tempdir("build");
    copy_dir(
        &repo().join("compiler/tests/fixtures/ok/everything"),
        &dir.join("proj"),
    );
    let out_dir = dir.join("gen");
    std::fs::create_dir_all(out_dir.join("domains")).unwrap();
    std::fs::write(out_dir.join("domains/99_gone.sql"), "-- old\n").unwrap();
    std::fs::write(out_dir.join("keep.txt"), "not schemac's").unwrap();

    let o = schemac(&["build", "--project", "proj", "--out", "gen"], &dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        !out_dir.join("domains/99_gone.sql").exists(),
        "a file build no longer produces is removed"
    );
    assert!(
        out_dir.join("keep.txt").exists(),
        "files schemac does not manage are kept"
    );
    let first = std::fs::read(out_dir.join("schema.sql")).unwrap();
    let o = schemac(&["build", "--project", "proj", "--out", "gen"], &dir);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("0 file(s) written"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(first, std::fs::read(out_dir.join("schema.sql")).unwrap());
    assert!(std::fs::read_dir(out_dir.join("domains"))
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().ends_with(".tmp")));

    let o = schemac(&["check", "--project", "proj", "--out", "gen"], &dir);
    assert!(o.status.success());

    // Edit the TOML: check fails with a diff and the command that fixes it.
    let toml = dir.join("proj/domains/app.toml");
    let text = std::fs::read_to_string(&toml).unwrap().replace(
        "title = { type = \"text\" }",
        "title = { type = \"text\", not_null = true }",
    );
    std::fs::write(&toml, text).unwrap();
    let o = schemac(&["check", "--project", "proj", "--out", "gen"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("-    \"title\" text,") && stdout.contains("+    \"title\" text NOT NULL,"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("just build"));
}

#[test]
fn usage_errors_exit_2() {
    let o = schemac(&["build", "--no-such-flag"], &repo());
    assert_eq!(o.status.code(), Some(2));
}

/// Bad input of every kind gives diagnostics and exit code 1: never a panic, a hang
/// or partial output.
#[test]
fn bad_input_never_panics_hangs_or_writes() {
    let project = "[project]\nname = \"bad\"\npostgres = 15\n";
    let nested = format!(
        "[domain]\nname = \"core\"\nx = {}1{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let mut big = String::from("[domain]\nname = \"core\"\n\n[tables.core_big.columns]\n");
    let mut i = 0;
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(&format!(
            "c{i} = {{ type = \"text\", comment = \"{}\" }}\n",
            "x".repeat(200)
        ));
        i += 1;
    }
    big.push_str("last = { type = \"nosuchtype\" }\n");
    let cases: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vec![
        ("empty files", Vec::new(), Vec::new(), "missing-key"),
        ("binary", project.as_bytes().to_vec(), vec![0xff, 0xfe, 0x00, 0x9f, 0x92, 0x96], "not-utf8"),
        ("deep nesting", project.as_bytes().to_vec(), nested.into_bytes(), "toml-syntax"),
        ("10 MB file", project.as_bytes().to_vec(), big.into_bytes(), "unknown-type"),
        ("duplicate keys", project.as_bytes().to_vec(), b"[domain]\nname = \"core\"\nname = \"core\"\n".to_vec(), "duplicate-key"),
        ("semicolons and quotes", project.as_bytes().to_vec(), b"[domain]\nname = \"core\"\n[tables.\"x; drop table y\".columns]\n\"a\\\"b\" = { type = \"text; drop table y\" }\n".to_vec(), "invalid-type"),
    ];
    for (label, proj, domain, code) in cases {
        let dir = tempdir("bad");
        std::fs::create_dir_all(dir.join("p/domains")).unwrap();
        std::fs::write(dir.join("p/schemac.toml"), proj).unwrap();
        std::fs::write(dir.join("p/domains/core.toml"), domain).unwrap();
        let start = Instant::now();
        let o = schemac(&["build", "--project", "p", "--out", "gen"], &dir);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{label}: exit code\n{stderr}");
        assert!(!stderr.contains("panicked"), "{label}: panic\n{stderr}");
        assert!(
            stderr.contains(code),
            "{label}: expected a `{code}` diagnostic\n{}",
            &stderr[..stderr.len().min(3000)]
        );
        assert!(!dir.join("gen").exists(), "{label}: nothing may be written");
        eprintln!("{label}: {:?}", start.elapsed());
    }
}

/// `schemac migrate` writes the next folder; `check` notices a schema change without
/// a migration and an edited or deleted released migration, and says what to run.
#[test]
fn migrate_and_check_guard_the_history() {
    let dir = tempdir("migrate");
    copy_dir(
        &repo().join("compiler/tests/fixtures/migrations/ok/rename_with_compat_view/before"),
        &dir.join("proj"),
    );
    let run = |args: &[&str]| schemac(args, &dir);
    assert!(run(&["build", "--project", "proj", "--out", "gen"])
        .status
        .success());
    let o = run(&["migrate", "init", "--project", "proj", "--out", "gen"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.join("gen/migrations/0001_init/up.sql").exists());
    assert!(run(&["check", "--project", "proj", "--out", "gen"])
        .status
        .success());
    let o = run(&["migrate", "again", "--project", "proj", "--out", "gen"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to do"));

    // The TOML moves on: check fails until a migration is made.
    copy_dir(
        &repo().join("compiler/tests/fixtures/migrations/ok/rename_with_compat_view/after"),
        &dir.join("proj"),
    );
    std::fs::remove_file(dir.join("proj/domains/app.toml")).ok();
    copy_dir(
        &repo().join("compiler/tests/fixtures/migrations/ok/rename_with_compat_view/after/domains"),
        &dir.join("proj/domains"),
    );
    assert!(run(&["build", "--project", "proj", "--out", "gen"])
        .status
        .success());
    let o = run(&["check", "--project", "proj", "--out", "gen"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("schemac migrate <name>"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&[
        "migrate",
        "prefix_notes",
        "--project",
        "proj",
        "--out",
        "gen",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = dir.join("gen/migrations/0002_prefix_notes");
    assert!(
        m.join("up.sql").exists()
            && m.join("down.sql").exists()
            && m.join("cleanup.sql").exists()
            && m.join("snapshot.json").exists()
    );
    assert!(run(&["check", "--project", "proj", "--out", "gen"])
        .status
        .success());

    // Editing or deleting a released migration is caught.
    let up = m.join("up.sql");
    let text = std::fs::read_to_string(&up).unwrap();
    std::fs::write(&up, text.replace("RENAME TO", "RENAME  TO")).unwrap();
    let o = run(&["check", "--project", "proj", "--out", "gen"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("0002_prefix_notes/up.sql") && err.contains("edited"),
        "{err}"
    );
    std::fs::write(&up, text).unwrap();
    std::fs::remove_file(m.join("cleanup.sql")).unwrap();
    let err = String::from_utf8_lossy(&run(&["check", "--project", "proj", "--out", "gen"]).stderr)
        .into_owned();
    assert!(
        err.contains("0002_prefix_notes/cleanup.sql") && err.contains("deleted"),
        "{err}"
    );
}
