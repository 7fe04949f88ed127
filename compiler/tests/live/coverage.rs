//! Import coverage: a database with one object of every catalog kind is imported, and
//! every object the catalogs hold is accounted for: in the imported project's
//! `schema.sql` (taken as language or as a raw block) or named in the import's report.

use super::*;

/// Every object of `public` as the catalogs list it, each with the words that must
/// appear together on one line of the import's report when the object is not in the
/// imported `schema.sql` (its name alone, when one word).
const EVERY_OBJECT: &str = "\
with rel as (select c.* from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' \
  and not exists (select 1 from pg_depend e where e.classid = 'pg_class'::regclass and e.objid = c.oid and e.deptype = 'e')) \
select 'relation ' || relkind::text, relname from rel where relkind in ('r','p','v','m','c','f','i','I') \
  or (relkind = 'S' and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = rel.oid and d.deptype in ('a','i'))) \
union all select 'constraint ' || k.contype::text, k.conname from pg_constraint k join rel on rel.oid = k.conrelid \
union all select 'not valid', k.conname || '|NOT VALID' from pg_constraint k join rel on rel.oid = k.conrelid where not k.convalidated \
union all select 'constraint comment', k.conname || '|comments on constraints' from pg_constraint k join rel on rel.oid = k.conrelid where obj_description(k.oid, 'pg_constraint') is not null \
union all select 'index comment', rel.relname || '|comments on indexes' from rel where relkind in ('i','I') and obj_description(rel.oid, 'pg_class') is not null \
union all select 'type ' || t.typtype::text, t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'public' and t.typtype in ('e','d','r') \
  and not exists (select 1 from pg_depend e where e.classid = 'pg_type'::regclass and e.objid = t.oid and e.deptype = 'e') \
union all select 'routine ' || p.prokind::text, p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' \
  and not exists (select 1 from pg_depend e where e.classid = 'pg_proc'::regclass and e.objid = p.oid and e.deptype in ('e', 'i')) \
union all select 'trigger', t.tgname from pg_trigger t join rel on rel.oid = t.tgrelid where not t.tgisinternal \
union all select 'constraint trigger', t.tgname || '|constraint trigger' from pg_trigger t join rel on rel.oid = t.tgrelid where t.tgconstraint <> 0 and not t.tgisinternal \
union all select 'policy', p.polname from pg_policy p join rel on rel.oid = p.polrelid \
union all select 'rule', r.rulename from pg_rewrite r join rel on rel.oid = r.ev_class where r.rulename <> '_RETURN' \
union all select 'column acl', rel.relname || '.' || a.attname || '|column-level' from pg_attribute a join rel on rel.oid = a.attrelid where a.attacl is not null \
union all select 'force rls', rel.relname || '|FORCE ROW LEVEL SECURITY' from rel where relforcerowsecurity \
union all select 'replica identity', rel.relname || '|REPLICA IDENTITY' from rel where relreplident <> 'd' and relkind in ('r','p') \
union all select 'reloption', rel.relname || '|' || split_part(o, '=', 1) from rel, unnest(rel.reloptions) o where relkind in ('r','p','m','v') and o not like 'security_invoker=%' \
union all select 'partition', rel.relname || '|partition' from rel where relispartition \
union all select 'inheritance', rel.relname || '|inherits' from rel where exists (select 1 from pg_inherits h where h.inhrelid = rel.oid) and not relispartition \
union all select 'publication', p.pubname || '|' || rel.relname from pg_publication_rel pr join pg_publication p on p.oid = pr.prpubid join rel on rel.oid = pr.prrelid \
union all select 'default acl', 'ALTER DEFAULT PRIVILEGES' from pg_default_acl \
union all select 'event trigger', evtname from pg_event_trigger \
order by 1, 2";

#[test]
fn every_catalog_object_is_imported_raw_or_named() {
    let ddl = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/every_kind.sql"),
    )
    .unwrap();
    let db = Server::get().database("coverage");
    db.exec(&ddl).unwrap();
    let project = tempdir("import-coverage").join("project");
    let args = [
        "import",
        "--database-url",
        &db.url(),
        "--project",
        project.to_str().unwrap(),
    ];
    let o = run(&args, project.parent().unwrap(), &[]);
    let report = text(&o);
    assert!(o.status.success(), "{report}");
    let c = support::compile_ok(&project);
    let schema_sql = &c.output.as_ref().unwrap().files["schema.sql"];

    let objects = db.server.rows(&db.name, EVERY_OBJECT).unwrap();
    assert!(objects.len() >= 40, "{objects:#?}");
    let mut lost = Vec::new();
    for o in &objects {
        let needles: Vec<&str> = o[1].split('|').collect();
        let in_schema = if needles.len() == 1 {
            schema_sql.contains(&format!("\"{}\"", needles[0]))
        } else {
            schema_sql
                .lines()
                .any(|l| needles.iter().all(|n| l.contains(n)))
        };
        let named = report
            .lines()
            .any(|l| needles.iter().all(|n| l.contains(n)));
        if !in_schema && !named {
            lost.push(format!("{}: {}", o[0], o[1]));
        }
    }
    assert!(
        lost.is_empty(),
        "objects neither imported nor named:\n{}\n\n{report}",
        lost.join("\n")
    );

    // Objects of extensions are theirs: none is named as left out.
    for word in ["similarity", "gtrgm", "gbtreekey", "postgres_fdw_handler"] {
        assert!(!report.contains(word), "`{word}` listed:\n{report}");
    }
    // The account per kind, and --strict fails on what was left out.
    assert!(report.contains("schemac: import report"), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.trim_start().starts_with("partition ") && l.trim_end().ends_with(" 1")),
        "{report}"
    );
    let mut strict = args.to_vec();
    strict.extend(["--force", "--strict"]);
    let o = run(&strict, project.parent().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--strict:"), "{}", text(&o));
}
