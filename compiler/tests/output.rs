//! The output directory is written all or nothing: concurrent builds, builds killed at
//! any point and builds that hit an I/O error leave either the old output or the new
//! one, never a mix, and nothing behind.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use support::cli::{copy_dir, repo, schemac, tempdir};

/// Every file under `dir`, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let rel = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                stack.push((e.path(), format!("{rel}/")));
            } else {
                out.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// Nothing a build left beside the output directory `gen`.
fn assert_no_leftovers(root: &Path, when: &str) {
    let left = leftovers(root, "gen");
    assert!(left.is_empty(), "{when}: left beside the output: {left:?}");
}

/// Names beside the output directory other than the output directory itself.
fn leftovers(parent: &Path, name: &str) -> Vec<String> {
    std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("schemac") && n != name)
        .collect()
}

fn synth(dir: &Path, tables: usize, seed: u64) {
    let out = schemac(
        &[
            "synth",
            &dir.to_string_lossy(),
            "--tables",
            &tables.to_string(),
            "--seed",
            &seed.to_string(),
        ],
        &repo(),
    );
    assert!(out.status.success());
}

/// `schemac build` of `project` into `out`, started in the background.
fn spawn_build(project: &Path, out: &Path, stderr: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_schemac"))
        .args(["build", "--project"])
        .arg(project)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// `schemac build` of `project` into `out`, to its end.
fn build(project: &Path, out: &Path) -> std::process::Output {
    schemac(
        &[
            "build",
            "--project",
            &project.to_string_lossy(),
            "--out",
            &out.to_string_lossy(),
        ],
        &repo(),
    )
}

/// The output of a clean build of `project`, built into a directory of its own.
fn expected(project: &Path, scratch: &Path) -> BTreeMap<String, Vec<u8>> {
    let out = scratch.join("expected");
    let r = build(project, &out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let s = snapshot(&out);
    std::fs::remove_dir_all(&out).unwrap();
    s
}

#[test]
fn concurrent_builds_of_different_projects_never_mix() {
    let root = tempdir("concurrent");
    let (a, b) = (root.join("a"), root.join("b"));
    synth(&a, 300, 1);
    synth(&b, 300, 2);
    let (want_a, want_b) = (expected(&a, &root), expected(&b, &root));
    assert_ne!(want_a, want_b);
    let out = root.join("gen");
    for round in 0..10 {
        let spawn = |p: &Path| spawn_build(p, &out, Stdio::piped());
        let (ca, cb) = (spawn(&a), spawn(&b));
        for c in [ca, cb] {
            let o = c.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let got = snapshot(&out);
        assert!(
            got == want_a || got == want_b,
            "round {round}: the output mixes both projects"
        );
        assert_no_leftovers(&root, &format!("round {round}"));
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_build_killed_at_any_point_leaves_the_old_or_the_new_output() {
    let root = tempdir("killed");
    let (a, b) = (root.join("a"), root.join("b"));
    synth(&a, 1000, 3);
    synth(&b, 1000, 4);
    let (want_a, want_b) = (expected(&a, &root), expected(&b, &root));
    let out = root.join("gen");
    let build = |p: &Path| spawn_build(p, &out, Stdio::null());
    assert!(build(&a).wait().unwrap().success());
    // How long a whole build takes here, so kills land all over it.
    let start = std::time::Instant::now();
    assert!(build(&b).wait().unwrap().success());
    let full = start.elapsed();
    assert!(build(&a).wait().unwrap().success());
    let mut seen_new = 0;
    for i in 0..12u32 {
        let before = snapshot(&out);
        let target = if before == want_a { &b } else { &a };
        let mut child = build(target);
        std::thread::sleep(full.mul_f64(f64::from(i) / 12.0 + 0.02));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let after = snapshot(&out);
        assert!(
            after == want_a || after == want_b,
            "kill {i}: a mix of old and new output"
        );
        if after != before {
            seen_new += 1;
        }
        // The next build removes what the killed one left beside the directory.
        assert!(build(&a).wait().unwrap().success());
        assert_no_leftovers(&root, "");
        assert_eq!(snapshot(&out), want_a);
    }
    // The kills are spread over the build, so some land before the swap.
    assert!(
        seen_new < 12,
        "every kill came after the build finished; the test is blind"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn an_io_error_leaves_the_output_unchanged_and_names_the_file() {
    let root = tempdir("ioerror");
    let project = root.join("p");
    copy_dir(&repo().join("schemas"), &project);
    let out = root.join("gen");
    let first = build(&project, &out);
    assert!(first.status.success());
    let before = snapshot(&out);
    // Change the project so every file would be rewritten, then let writes of more
    // than 16 KiB fail (EFBIG, with SIGXFSZ ignored).
    let f = project.join("schemac.toml");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(
        &f,
        text.replacen("lock_timeout = \"5s\"", "lock_timeout = \"6s\"", 1),
    )
    .unwrap();
    let script = format!(
        "trap '' XFSZ; ulimit -f 16; exec '{}' build --project '{}' --out '{}'",
        env!("CARGO_BIN_EXE_schemac"),
        project.display(),
        out.display()
    );
    let o = Command::new("bash").args(["-c", &script]).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("gen/domains/00_system.sql: File too large"),
        "the message names the file: {stderr}"
    );
    assert!(stderr.contains("nothing in"), "{stderr}");
    assert_eq!(snapshot(&out), before, "a failed build changed the output");
    assert_no_leftovers(&root, "");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn files_build_does_not_manage_are_kept_and_symlinks_are_not_followed() {
    let root = tempdir("unmanaged");
    let out = root.join("gen");
    std::fs::create_dir_all(out.join("migrations/0001_x")).unwrap();
    std::fs::write(out.join("migrations/0001_x/up.sql"), "select 1;\n").unwrap();
    std::fs::write(out.join("NOTES.md"), "kept\n").unwrap();
    let victim = root.join("victim.txt");
    std::fs::write(&victim, "untouched\n").unwrap();
    std::fs::create_dir_all(out.join("docs")).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("docs/domains.md")).unwrap();
    let r = build(&repo().join("schemas"), &out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n");
    assert!(!out.join("docs/domains.md").is_symlink());
    assert_eq!(
        std::fs::read_to_string(out.join("NOTES.md")).unwrap(),
        "kept\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("migrations/0001_x/up.sql")).unwrap(),
        "select 1;\n"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn an_output_directory_that_is_a_symlink_is_written_where_it_points() {
    let root = tempdir("symlinked");
    let real = root.join("real");
    std::fs::create_dir_all(&real).unwrap();
    let link = root.join("gen");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    for project in ["schemas", "compiler/tests/fixtures/ok/minimal"] {
        let r = build(&repo().join(project), &link);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(link.is_symlink(), "the link was replaced");
        assert!(real.join("schema.sql").is_file());
    }
    assert!(real.join("domains/00_core.sql").is_file());
    assert_no_leftovers(&root, "");
    let _ = std::fs::remove_dir_all(&root);
}
