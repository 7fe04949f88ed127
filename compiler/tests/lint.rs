//! The lint: one fixture pair per rule (run with only that rule), fixes, exemptions,
//! output formats, the naming standard's renames, and the generated rule documentation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use schemac::diag::{Renderer, Severity};
use schemac::lint::{self, RULES};
use schemac::Options;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

fn only(dir: &Path, rule: &str) -> schemac::Compilation {
    schemac::compile_with(
        dir,
        &Options {
            only_rule: Some(rule.to_string()),
        },
    )
}

fn codes(c: &schemac::Compilation) -> Vec<String> {
    c.diagnostics
        .sorted(&c.sources)
        .into_iter()
        .map(|d| d.code)
        .collect()
}

fn render(c: &schemac::Compilation) -> String {
    let r = Renderer::plain(100);
    c.diagnostics
        .sorted(&c.sources)
        .iter()
        .map(|d| r.render(d, &c.sources))
        .collect::<Vec<_>>()
        .join("\n")
}

fn tempcopy(from: &Path, label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let to = std::env::temp_dir().join(format!(
        "schemac-lint-{label}-{}-{nanos}",
        std::process::id()
    ));
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            if e.path().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    copy(from, &to);
    to
}

#[test]
fn every_rule_has_a_triggering_and_a_clean_fixture() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    for rule in RULES {
        let dir = fixtures().join(rule.name);
        let trig = only(&dir.join("triggers"), rule.name);
        let own: Vec<_> = codes(&trig)
            .into_iter()
            .filter(|c| c.starts_with(&format!("{} (", rule.name)))
            .collect();
        assert!(
            !own.is_empty(),
            "{}: the `triggers` fixture does not trigger it:\n{}",
            rule.name,
            render(&trig)
        );
        let clean = only(&dir.join("clean"), rule.name);
        assert!(
            clean.diagnostics.is_empty(),
            "{}: the `clean` fixture must produce nothing:\n{}",
            rule.name,
            render(&clean)
        );
        settings.bind(|| insta::assert_snapshot!(format!("lint@{}", rule.name), render(&trig)));
    }
}

#[test]
fn registry_names_and_codes_are_unique_and_documented() {
    let names: BTreeSet<_> = RULES.iter().map(|r| r.name).collect();
    let codes: BTreeSet<_> = RULES.iter().map(|r| r.code).collect();
    assert_eq!(names.len(), RULES.len());
    assert_eq!(codes.len(), RULES.len());
    for r in RULES {
        let doc = r.doc();
        for section in ["## What it does", "## Why", "## Example", "## Fix"] {
            assert!(
                doc.contains(section),
                "{} lacks `{section}` in its doc comment",
                r.name
            );
        }
    }
    let dirs: BTreeSet<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let names: BTreeSet<String> = names.into_iter().map(str::to_string).collect();
    assert_eq!(dirs, names, "fixture directories and rules differ");
}

#[test]
fn rule_docs_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules");
    for (name, text) in lint::rule_docs() {
        let on_disk = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        assert!(
            on_disk == text,
            "docs/rules/{name} is stale; run `just rule-docs`"
        );
    }
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        files,
        RULES.len() + 1,
        "docs/rules holds files for rules that no longer exist"
    );
}

/// `--fix` then a second run: the fixed diagnostics are gone and nothing new appears.
#[test]
fn fixes_remove_their_diagnostics_and_add_nothing() {
    for rule in [
        "table-missing-domain-prefix",
        "table-not-plural",
        "auth-call-not-wrapped",
    ] {
        let dir = tempcopy(&fixtures().join(rule).join("triggers"), rule);
        let before = schemac::compile(&dir);
        let fixes: Vec<_> = before
            .lint
            .as_ref()
            .unwrap()
            .active
            .iter()
            .filter(|(f, _)| f.rule == rule)
            .filter_map(|(f, _)| f.fix.clone())
            .collect();
        assert!(!fixes.is_empty(), "{rule}: no fix offered");
        lint::fix::apply(&dir, &before.sources, &fixes).unwrap();
        let after = schemac::compile(&dir);
        let before_codes: BTreeSet<String> = codes(&before).into_iter().collect();
        let after_codes: Vec<String> = codes(&after);
        assert!(
            after_codes.iter().all(|c| !c.starts_with(rule)),
            "{rule}: still reported after the fix:\n{}",
            render(&after)
        );
        let new: Vec<_> = after_codes
            .iter()
            .filter(|c| !before_codes.contains(*c))
            .collect();
        assert!(
            new.is_empty(),
            "{rule}: the fix introduced {new:?}:\n{}",
            render(&after)
        );
        assert!(
            after.output.is_some()
                || after.diagnostics.has_errors()
                    == before
                        .diagnostics
                        .sorted(&before.sources)
                        .iter()
                        .any(|d| d.severity == Severity::Error && !d.code.starts_with(rule))
        );
        if rule != "auth-call-not-wrapped" {
            let ir = after.ir.as_ref().unwrap();
            assert!(
                !ir.table_renames.is_empty(),
                "{rule}: a rename fix must declare the rename"
            );
        }
    }
    // Comments and formatting survive a fix.
    let dir = tempcopy(
        &fixtures().join("table-missing-domain-prefix/triggers"),
        "keep",
    );
    let path = dir.join("domains/comms.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "[tables.messages_archive.columns]",
        "# kept comment\n[tables.messages_archive.columns]",
    );
    std::fs::write(&path, text).unwrap();
    let c = schemac::compile(&dir);
    let fixes: Vec<_> = c
        .lint
        .as_ref()
        .unwrap()
        .active
        .iter()
        .filter_map(|(f, _)| f.fix.clone())
        .collect();
    lint::fix::apply(&dir, &c.sources, &fixes).unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.contains("# kept comment\n[tables.comms_messages_archive.columns]"),
        "{after}"
    );
    assert!(
        after.contains("references = \"comms_messages_archive.id\""),
        "{after}"
    );
    assert!(after.contains("from comms_messages_archive"), "{after}");
    assert!(
        after.contains("[renames.tables.messages_archive]"),
        "{after}"
    );
}

#[test]
fn auth_call_fix_wraps_only_bare_calls() {
    let rules_mod = schemac::lint::RULES
        .iter()
        .find(|r| r.name == "auth-call-not-wrapped")
        .unwrap();
    assert_eq!(rules_mod.code, "S006");
    let dir = fixtures().join("auth-call-not-wrapped/triggers");
    let c = only(&dir, "auth-call-not-wrapped");
    let fixes: Vec<String> = c
        .lint
        .unwrap()
        .active
        .iter()
        .filter_map(|(f, _)| match &f.fix {
            Some(schemac::lint::fix::Fix::SetPolicyExpression { text, .. }) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        fixes,
        vec![
            "owner_id = (select auth.uid()) or team = (select auth.jwt() ->> 'team')".to_string(),
            "owner_id = (select AUTH.UID()) and (select auth.role()) = 'authenticated'".to_string(),
            "exists (select 1 from crm_leads l where l.id = lead_id and l.owner_id = (select auth.uid()))".to_string(),
            "tenant = (select current_setting('app.tenant', true))".to_string(),
            // On storage.objects, a table the project does not own.
            "bucket_id = 'crm-attachments' and owner = (select auth.uid())".to_string(),
        ]
    );
}

#[test]
fn exemptions_suppress_and_are_checked() {
    let base = fixtures().join("table-missing-domain-prefix/triggers");
    let dir = tempcopy(&base, "exempt");
    let path = dir.join("domains/comms.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[tables.messages_archive.allow]\ntable-missing-domain-prefix = \"Kept for the archive importer (decision 2026-03)\"\n");
    text.push_str("\n[tables.comms_threads.allow]\ntable-not-plural = \"nothing to suppress here\"\nno-such-rule = \"typo\"\n");
    std::fs::write(&path, text).unwrap();
    let c = schemac::compile(&dir);
    let cs = codes(&c);
    assert!(
        !cs.iter()
            .any(|c| c.starts_with("table-missing-domain-prefix")),
        "{cs:?}"
    );
    assert!(cs.contains(&"unused-exemption".to_string()), "{cs:?}");
    assert!(cs.contains(&"unknown-rule".to_string()), "{cs:?}");
    let report = c.lint.unwrap();
    assert_eq!(report.exempted.len(), 1);
    assert_eq!(
        report.exempted[0].1.reason,
        "Kept for the archive importer (decision 2026-03)"
    );
}

#[test]
fn severities_come_from_the_project() {
    let dir = tempcopy(&fixtures().join("table-not-plural/triggers"), "sev");
    let p = dir.join("schemac.toml");
    std::fs::write(
        &p,
        std::fs::read_to_string(&p).unwrap() + "\n[lint]\ntable-not-plural = \"warn\"\n",
    )
    .unwrap();
    let c = schemac::compile(&dir);
    let d = c.diagnostics.sorted(&c.sources);
    assert!(d
        .iter()
        .any(|d| d.code.starts_with("table-not-plural") && d.severity == Severity::Warning));
    assert!(c.output.is_some(), "warnings do not block output");
    std::fs::write(
        &p,
        std::fs::read_to_string(&p)
            .unwrap()
            .replace("\"warn\"", "\"off\""),
    )
    .unwrap();
    let c = schemac::compile(&dir);
    assert!(!codes(&c).iter().any(|c| c.starts_with("table-not-plural")));
}

#[test]
fn output_formats() {
    let dir = fixtures().join("table-not-plural/triggers");
    let c = only(&dir, "table-not-plural");
    let diags = c.diagnostics.sorted(&c.sources);
    let json: serde_json::Value =
        serde_json::from_str(&lint::report::json(&diags, &c.sources)).unwrap();
    assert_eq!(json[0]["rule"], "table-not-plural");
    assert_eq!(json[0]["file"], "triggers/domains/user.toml");
    assert!(json[0]["line"].as_u64().unwrap() > 1);
    let gh = lint::report::github(&diags, &c.sources);
    assert!(
        gh.starts_with("::error file=triggers/domains/user.toml,line="),
        "{gh}"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&lint::report::sarif(&diags, &c.sources)).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "table-not-plural");
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        RULES.len()
    );
}

/// The naming standard's 35 renames: every old name fails a naming rule, every new name passes
/// (except the documented exemptions).
#[test]
fn naming_standard_renames_old_names_fail_and_new_names_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let c = schemac::compile(&dir);
    let ir = c.ir.as_ref().expect("schemas/ compiles");
    assert_eq!(ir.table_renames.len(), 35);
    for r in &ir.table_renames {
        let old = lint::judge_table_name(ir, r.domain, &r.from.schema, &r.from.name);
        assert!(
            !old.is_empty(),
            "old name `{}` passes every naming rule",
            r.from.name
        );
        let table = ir.table(&r.to).expect("rename target is a table");
        let new: Vec<_> = lint::judge_table_name(ir, table.domain, &r.to.schema, &r.to.name)
            .into_iter()
            .filter(|v| !table.allow.iter().any(|e| e.rule == v.rule))
            .collect();
        assert!(new.is_empty(), "new name `{}` fails {new:?}", r.to.name);
    }
    assert!(
        c.diagnostics.is_empty(),
        "schemas/ must lint clean:\n{}",
        render(&c)
    );
}
