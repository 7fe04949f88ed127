//! Text from the TOML cannot become SQL: the generated files are applied to a real
//! PostgreSQL next to a canary table, on a database whose settings a hostile or old
//! configuration could have changed.

mod support;

use std::path::Path;

use support::cli::{copy_dir, tempdir};
use support::{compile_ok, pg::Server};

/// A description that breaks out of its string literal when a backslash escapes the
/// quote (`standard_conforming_strings = off`).
const BREAKOUT: &str = r"\'; drop table public.canary; --";

fn project_with_description(label: &str) -> std::path::PathBuf {
    let dir = tempdir(label);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok/minimal"),
        &dir,
    );
    let domain = dir.join("domains/core.toml");
    let text = std::fs::read_to_string(&domain).unwrap().replace(
        "[tables.core_notes.columns]",
        &format!(
            "[tables.core_notes]\ndescription = \"{}\"\n\n[tables.core_notes.columns]",
            BREAKOUT.replace('\\', "\\\\")
        ),
    );
    std::fs::write(&domain, text).unwrap();
    dir
}

#[test]
fn literals_stay_literals_when_standard_conforming_strings_is_off() {
    let dir = project_with_description("scs");
    let c = compile_ok(&dir);
    let schema = &c.output.as_ref().unwrap().files["schema.sql"];
    assert!(schema.contains("SET LOCAL standard_conforming_strings = on;"));
    let server = Server::get();

    let run = |label: &str, sql: &str| {
        let db = server.database(label);
        db.exec(&format!(
            "ALTER DATABASE {} SET standard_conforming_strings = off; \
             CREATE TABLE public.canary (id int);",
            db.name
        ))
        .unwrap();
        let applied = db.exec(sql);
        let canary = db.query_one("select count(*) from pg_class where relname = 'canary'");
        (db, applied, canary)
    };

    // The exploit is real: the same file without the literal settings drops the canary
    // (or fails), so this test can tell the difference.
    let unsafe_sql = schema.replace("SET LOCAL standard_conforming_strings = on;\n", "");
    let (_, applied, canary) = run("scs_unsafe", &unsafe_sql);
    assert!(
        applied.is_err() || canary == "0",
        "without the setting the breakout should have had an effect"
    );

    let (db, applied, canary) = run("scs_safe", schema);
    applied
        .unwrap_or_else(|e| panic!("schema.sql fails with standard_conforming_strings off: {e}"));
    assert_eq!(canary, "1", "the canary table was dropped");
    let comment = db.query_one("select obj_description('public.core_notes'::regclass, 'pg_class')");
    assert_eq!(comment, BREAKOUT);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn control_characters_in_text_are_refused_before_anything_is_written() {
    for (label, escape) in [("nul", r"\u0000"), ("cr", r"\r"), ("esc", r"\x1b")] {
        let dir = tempdir(&format!("ctl-{label}"));
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok/minimal"),
            &dir,
        );
        let domain = dir.join("domains/core.toml");
        let text = std::fs::read_to_string(&domain).unwrap().replace(
            "using = \"true\"",
            &format!("using = \"true -- {escape}) ; drop table public.canary ; --\""),
        );
        std::fs::write(&domain, text).unwrap();
        let c = schemac::compile(&dir);
        let codes: Vec<String> = c
            .diagnostics
            .into_vec()
            .into_iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, vec!["control-character".to_string()], "{label}");
        assert!(c.output.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Appends ` -- trailing comment` to the value of every fragment key in a TOML text
/// (one-line basic strings).
fn with_trailing_comments(toml: &str) -> (String, usize) {
    const KEYS: [&str; 9] = [
        "default = \"",
        "check = \"",
        "generated = \"",
        "expression = \"",
        "where = \"",
        "using = \"",
        "with_check = \"",
        "query = \"",
        "when = \"",
    ];
    let mut count = 0;
    let mut out = String::new();
    for line in toml.lines() {
        let mut l = line.to_string();
        for key in KEYS {
            let mut from = 0;
            while let Some(i) = l[from..].find(key) {
                let start = from + i + key.len();
                // The closing quote: the first one not escaped by a backslash.
                let bytes = l.as_bytes();
                let mut j = start;
                while j < bytes.len() && !(bytes[j] == b'"' && bytes[j - 1] != b'\\') {
                    j += 1;
                }
                if j >= bytes.len() || j == start {
                    break;
                }
                l.insert_str(j, " -- trailing comment");
                count += 1;
                from = j + 21;
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    (out, count)
}

#[test]
fn a_trailing_comment_in_any_fragment_cannot_swallow_what_follows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok/everything");
    let dir = tempdir("trailing");
    copy_dir(&src, &dir);
    let mut total = 0;
    for e in std::fs::read_dir(dir.join("domains")).unwrap().flatten() {
        let (text, n) = with_trailing_comments(&std::fs::read_to_string(e.path()).unwrap());
        std::fs::write(e.path(), text).unwrap();
        total += n;
    }
    assert!(total >= 10, "only {total} fragments were given a comment");
    let c = compile_ok(&dir);
    let files = &c.output.as_ref().unwrap().files;
    let server = Server::get();
    let db = server.database("trailing");
    db.exec("CREATE TABLE public.canary (id int);").unwrap();
    db.exec(&files["schema.sql"])
        .unwrap_or_else(|e| panic!("schema.sql with trailing comments fails: {e}"));
    assert_eq!(
        db.query_one("select count(*) from pg_class where relname = 'canary'"),
        "1"
    );
    // The same objects as without the comments.
    let plain = compile_ok(&src);
    let plain_db = server.database("trailing_plain");
    plain_db
        .exec(&plain.output.as_ref().unwrap().files["schema.sql"])
        .unwrap();
    plain_db
        .exec("CREATE TABLE public.canary (id int);")
        .unwrap();
    let strip = |dump: String| {
        dump.lines()
            .map(|l| match l.find(" -- trailing comment") {
                Some(i) => l[..i].to_string(),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(db.dump(&["public"])).matches("CREATE").count(),
        strip(plain_db.dump(&["public"])).matches("CREATE").count()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
