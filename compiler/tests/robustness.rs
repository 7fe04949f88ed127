//! Inputs that once made the binary panic or say something unclear: each case is run
//! through the real `schemac` binary.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use support::cli::{copy_dir, repo, schemac, tempdir};

fn minimal(label: &str) -> std::path::PathBuf {
    let dir = tempdir(label);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok/minimal"),
        &dir.join("proj"),
    );
    dir
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_diagnostic_far_into_a_very_long_line_renders_with_its_column() {
    let dir = minimal("longline");
    let domain = dir.join("proj/domains/core.toml");
    let mut text = std::fs::read_to_string(&domain).unwrap();
    // A syntax error 200,000 characters into one line, in an 8 MB file.
    text.push_str(&format!(
        "\n[tables.core_notes.policies.p2]\nroles = [\"service_role\"]\nusing = \"{} = 1 +\"\n# {}\n",
        "x".repeat(200_000),
        "y".repeat(8_000_000)
    ));
    std::fs::write(&domain, text).unwrap();
    let o = schemac(&["build", "--project", "proj", "--out", "gen"], &dir);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{}", &err[..err.len().min(2000)]);
    assert!(!err.contains("panicked"));
    assert!(
        err.contains("proj/domains/core.toml:16:200017"),
        "{}",
        &err[..err.len().min(2000)]
    );
    // The long line is cut around the label: the output stays small.
    assert!(err.len() < 5_000, "{} bytes of diagnostics", err.len());
    assert!(!dir.join("gen").exists());
}

#[test]
fn a_closed_pipe_ends_the_command_quietly_with_its_own_exit_status() {
    let dir = minimal("pipe");
    // `check` against a missing output directory: a long report on stdout, exit 1.
    let run = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemac"))
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then hang up, as `| head -c 1` does.
        let mut out = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        let _ = out.read(&mut one);
        drop(out);
        let o = child.wait_with_output().unwrap();
        (o.status.code(), stderr(&o))
    };
    let proj = dir.join("proj").to_string_lossy().into_owned();
    std::fs::create_dir_all(dir.join("gen/docs")).unwrap();
    std::fs::write(dir.join("gen/schema.sql"), "x\n".repeat(100_000)).unwrap();
    let (code, err) = run(&["check", "--project", &proj, "--out", "gen"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, err) = run(&["lint", "--project", &proj, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, err) = run(&["json-schema", "domain"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_missing_project_directory_is_named_as_given() {
    let o = schemac(&["build", "--project", "/no/such/dir"], &repo());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the project directory `/no/such/dir` does not exist"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn migration_histories_that_cannot_be_trusted_are_named_precisely() {
    let dir = minimal("history");
    let run = |args: &[&str]| schemac(args, &dir);
    let check = || run(&["check", "--project", "proj", "--out", "gen"]);
    assert!(run(&["build", "--project", "proj", "--out", "gen"])
        .status
        .success());

    // An empty migrations directory is an empty history, not a broken one.
    std::fs::create_dir_all(dir.join("gen/migrations")).unwrap();
    let o = check();
    assert!(!stderr(&o).contains("is not recorded"), "{}", stderr(&o));
    assert!(
        run(&["migrate", "init", "--project", "proj", "--out", "gen"])
            .status
            .success()
    );
    assert!(check().status.success(), "{}", stderr(&check()));
    let m = dir.join("gen/migrations");

    // A subfolder inside a released migration is a change to it.
    std::fs::create_dir_all(m.join("0001_init/extra")).unwrap();
    std::fs::write(m.join("0001_init/extra/x.sql"), "drop table t;\n").unwrap();
    let err = stderr(&check());
    assert!(
        err.contains("gen/migrations/0001_init/extra/x.sql is not"),
        "{err}"
    );
    // migrate refuses too, and names the file.
    let o = run(&["migrate", "next", "--project", "proj", "--out", "gen"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("0001_init/extra/x.sql is not"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(m.join("0001_init/extra")).unwrap();
    assert!(check().status.success());

    // Folders that are not NNNN_<name>, or whose number overflows, are refused.
    for stray in ["notes", "99999999999999999999999_big", "0002_"] {
        std::fs::create_dir_all(m.join(stray)).unwrap();
        let err = stderr(&check());
        assert!(
            err.contains("folders that are not migrations") && err.contains(stray),
            "{stray}: {err}"
        );
        std::fs::remove_dir_all(m.join(stray)).unwrap();
    }

    // Numbers past 32 bits keep counting instead of wrapping to 0000.
    std::fs::rename(m.join("0001_init"), m.join("4294967296_init")).unwrap();
    std::fs::write(m.join("schemac.sum"), schemac::history::compute_sum(&m)).unwrap();
    let domain = dir.join("proj/domains/core.toml");
    let text = std::fs::read_to_string(&domain).unwrap();
    std::fs::write(
        &domain,
        text.replace(
            "body = { type = \"text\", not_null = true }",
            "body = { type = \"text\", not_null = true }\ntitle = { type = \"text\" }",
        ),
    )
    .unwrap();
    let o = run(&["migrate", "add_title", "--project", "proj", "--out", "gen"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(m.join("4294967297_add_title/up.sql").exists());
}
