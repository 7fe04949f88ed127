//! `schemac diff`.

use super::*;

/// Each manual change to a database built from the example, and what `diff` must name.
const DRIFTS: &[(&str, &str, &str)] = &[
    // (change, what the report must contain, undo)
    ("ALTER TABLE public.user_devices ADD COLUMN nickname text;", "column public.user_devices: nickname (extra)", "ALTER TABLE public.user_devices DROP COLUMN nickname;"),
    ("ALTER TABLE public.user_devices DROP COLUMN app_version;", "column public.user_devices: app_version (missing)", "ALTER TABLE public.user_devices DROP COLUMN last_seen_at, DROP COLUMN created_at, DROP COLUMN updated_at; ALTER TABLE public.user_devices ADD COLUMN app_version text, ADD COLUMN last_seen_at timestamptz, ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(), ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();"),
    ("ALTER TABLE public.user_devices ALTER COLUMN device_name TYPE varchar(80);", "column public.user_devices: device_name (changed)", "ALTER TABLE public.user_devices ALTER COLUMN device_name TYPE text;"),
    ("ALTER TABLE public.user_devices ALTER COLUMN platform DROP NOT NULL;", "not_null=false", "ALTER TABLE public.user_devices ALTER COLUMN platform SET NOT NULL;"),
    ("ALTER TABLE public.user_devices ALTER COLUMN created_at SET DEFAULT '2020-01-01';", "column public.user_devices: created_at (changed)", "ALTER TABLE public.user_devices ALTER COLUMN created_at SET DEFAULT now();"),
    ("ALTER TABLE public.user_devices ALTER COLUMN updated_at DROP DEFAULT;", "column public.user_devices: updated_at (changed)", "ALTER TABLE public.user_devices ALTER COLUMN updated_at SET DEFAULT now();"),
    ("DROP POLICY user_devices_owner_all ON public.user_devices;", "policy user_devices_owner_all on public.user_devices (missing)", "CREATE POLICY user_devices_owner_all ON public.user_devices AS PERMISSIVE FOR ALL TO authenticated USING (user_id = (select auth.uid())) WITH CHECK (user_id = (select auth.uid()));"),
    ("CREATE POLICY user_devices_anyone ON public.user_devices FOR SELECT TO anon USING (true);", "policy user_devices_anyone on public.user_devices (extra)", "DROP POLICY user_devices_anyone ON public.user_devices;"),
    ("ALTER POLICY user_devices_owner_all ON public.user_devices TO authenticated, anon;", "policy user_devices_owner_all on public.user_devices (changed)", "ALTER POLICY user_devices_owner_all ON public.user_devices TO authenticated;"),
    ("ALTER TABLE public.user_devices DISABLE ROW LEVEL SECURITY;", "table public.user_devices (changed): database: RLS off", "ALTER TABLE public.user_devices ENABLE ROW LEVEL SECURITY;"),
    ("GRANT SELECT ON public.user_devices TO anon;", "grant on public.user_devices to anon (extra)", "REVOKE ALL ON public.user_devices FROM anon;"),
    ("REVOKE DELETE ON public.user_devices FROM authenticated;", "grant on public.user_devices to authenticated (changed)", "GRANT DELETE ON public.user_devices TO authenticated;"),
    ("CREATE INDEX idx_user_devices_platform ON public.user_devices (platform);", "index idx_user_devices_platform on public.user_devices (extra)", "DROP INDEX public.idx_user_devices_platform;"),
    ("DROP INDEX public.idx_user_devices_user_id;", "index idx_user_devices_user_id on public.user_devices (missing)", "CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id);"),
    ("ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_platform_valid;", "constraint user_devices_platform_valid on public.user_devices (missing)", "ALTER TABLE public.user_devices ADD CONSTRAINT user_devices_platform_valid CHECK (platform in ('ios', 'android', 'web'));"),
    ("ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_user_id_fkey, ADD CONSTRAINT user_devices_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_profiles (id) ON DELETE SET NULL;", "constraint user_devices_user_id_fkey on public.user_devices (changed)", "ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_user_id_fkey, ADD CONSTRAINT user_devices_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.user_profiles (id) ON DELETE CASCADE;"),
    ("ALTER TABLE public.user_devices DISABLE TRIGGER tr_user_devices_updated_at;", "trigger tr_user_devices_updated_at on public.user_devices (changed)", "ALTER TABLE public.user_devices ENABLE TRIGGER tr_user_devices_updated_at;"),
    ("ALTER VIEW public.analytics_pipeline_summary SET (security_invoker = false);", "view public.analytics_pipeline_summary (changed)", "ALTER VIEW public.analytics_pipeline_summary SET (security_invoker = true);"),
    ("GRANT EXECUTE ON FUNCTION public.system_cleanup_old_logs() TO PUBLIC;", "function public.system_cleanup_old_logs (changed)", "REVOKE EXECUTE ON FUNCTION public.system_cleanup_old_logs() FROM PUBLIC;"),
    ("ALTER FUNCTION public.system_touch_updated_at() RESET search_path;", "function public.system_touch_updated_at (changed)", "ALTER FUNCTION public.system_touch_updated_at() SET search_path = '';"),
    // Expressions are compared by their meaning, not by presence: each of these was
    // "no drift" when only the presence of a condition was compared.
    ("ALTER POLICY user_devices_owner_all ON public.user_devices USING (true);", "policy user_devices_owner_all on public.user_devices (changed): using: database `true` -> schema `user_id = (select auth.uid())`", "ALTER POLICY user_devices_owner_all ON public.user_devices USING (user_id = (select auth.uid()));"),
    ("ALTER POLICY user_devices_owner_all ON public.user_devices WITH CHECK (user_id IS NOT NULL);", "with check: database `(user_id IS NOT NULL)`", "ALTER POLICY user_devices_owner_all ON public.user_devices WITH CHECK (user_id = (select auth.uid()));"),
    ("ALTER POLICY user_activity_logs_owner_select ON public.user_activity_logs USING (user_id = (select auth.uid()) OR true);", "policy user_activity_logs_owner_select on public.user_activity_logs (changed): using:", "ALTER POLICY user_activity_logs_owner_select ON public.user_activity_logs USING (user_id = (select auth.uid()));"),
    ("ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_platform_valid, ADD CONSTRAINT user_devices_platform_valid CHECK (true);", "constraint user_devices_platform_valid on public.user_devices (changed): check: database `true`", "ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_platform_valid, ADD CONSTRAINT user_devices_platform_valid CHECK (platform in ('ios', 'android', 'web'));"),
    ("ALTER TABLE public.user_devices DROP CONSTRAINT user_devices_platform_valid, ADD CONSTRAINT user_devices_platform_valid CHECK (platform in ('ios', 'android', 'web')) NOT VALID;", "constraint user_devices_platform_valid on public.user_devices (changed): database: check deferrable f deferred f not valid", "ALTER TABLE public.user_devices VALIDATE CONSTRAINT user_devices_platform_valid;"),
    ("ALTER TABLE public.user_devices ALTER COLUMN created_at SET DEFAULT now() - interval '1 day';", "column public.user_devices: created_at (changed): default: database `(now() - '1 day'::interval)` -> schema `now()`", "ALTER TABLE public.user_devices ALTER COLUMN created_at SET DEFAULT now();"),
    ("ALTER VIEW public.analytics_pipeline_summary SET (security_barrier = true);", "view public.analytics_pipeline_summary (changed): database: view options [security_barrier=true,security_invoker=true]", "ALTER VIEW public.analytics_pipeline_summary RESET (security_barrier);"),
    ("ALTER TABLE public.user_devices FORCE ROW LEVEL SECURITY;", "table public.user_devices (changed): database: RLS on (forced for the owner)", "ALTER TABLE public.user_devices NO FORCE ROW LEVEL SECURITY;"),
    ("GRANT SELECT (device_name), UPDATE (device_name) ON public.user_devices TO anon;", "grant on column public.user_devices.device_name to anon (extra): select, update", "REVOKE SELECT (device_name), UPDATE (device_name) ON public.user_devices FROM anon;"),
    ("COMMENT ON TABLE public.user_devices IS 'scratch';", "comment on table public.user_devices (changed): database `scratch` -> schema `Devices registered for push notifications`", "COMMENT ON TABLE public.user_devices IS 'Devices registered for push notifications';"),
    ("COMMENT ON COLUMN public.user_devices.device_name IS 'scratch';", "comment on column public.user_devices: device_name (changed): database `scratch` -> schema none", "COMMENT ON COLUMN public.user_devices.device_name IS NULL;"),
    ("COMMENT ON FUNCTION public.system_touch_updated_at() IS NULL;", "comment on function public.system_touch_updated_at(0) (changed): database none", "COMMENT ON FUNCTION public.system_touch_updated_at() IS 'BEFORE UPDATE trigger: sets updated_at to now(); shared by every table with an updated_at column';"),
    ("DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id) WHERE platform = 'web';", "index idx_user_devices_user_id on public.user_devices (changed): where: database `(platform = 'web'::text)` -> schema none", "DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id);"),
    ("DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices USING hash (user_id);", "index idx_user_devices_user_id on public.user_devices (changed): database: using hash (user_id); schema: using btree (user_id)", "DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id);"),
    ("DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id DESC);", "index idx_user_devices_user_id on public.user_devices (changed): database: using btree (user_id DESC); schema: using btree (user_id)", "DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id);"),
    ("DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id) INCLUDE (platform) WITH (fillfactor = 70);", "database: using btree (user_id) include (platform) with (fillfactor=70); schema: using btree (user_id)", "DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id);"),
    ("DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (platform COLLATE \"C\" text_pattern_ops DESC NULLS LAST);", "database: using btree (platform COLLATE \"C\" text_pattern_ops DESC NULLS LAST); schema: using btree (user_id)", "DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id);"),
    ("DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (app_version);", "index idx_user_devices_user_id on public.user_devices (changed): database: using btree (app_version); schema: using btree (user_id)", "DROP INDEX public.idx_user_devices_user_id; CREATE INDEX idx_user_devices_user_id ON public.user_devices (user_id);"),
    ("CREATE OR REPLACE VIEW public.analytics_pipeline_summary WITH (security_invoker = true) AS SELECT d.owner_id, d.stage, count(*) AS deal_count, coalesce(sum(d.amount), 0) AS total_amount, max(d.updated_at) AS last_activity_at FROM public.deals d WHERE d.amount > 0 GROUP BY d.owner_id, d.stage;", "view public.analytics_pipeline_summary (changed): query: database `SELECT d.owner_id", "CREATE OR REPLACE VIEW public.analytics_pipeline_summary WITH (security_invoker = true) AS SELECT d.owner_id, d.stage, count(*) AS deal_count, coalesce(sum(d.amount), 0) AS total_amount, max(d.updated_at) AS last_activity_at FROM public.deals d GROUP BY d.owner_id, d.stage;"),
    ("CREATE OR REPLACE FUNCTION public.user_is_workspace_member(p_workspace_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS 'select true';", "function public.user_is_workspace_member (changed): body: database `select true`", "CREATE OR REPLACE FUNCTION public.user_is_workspace_member(p_workspace_id uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $b$\nselect exists (\n  select 1\n  from public.workspace_members m\n  where m.workspace_id = p_workspace_id\n    and m.user_id = (select auth.uid())\n);\n$b$;"),
    ("CREATE OR REPLACE FUNCTION public.system_touch_updated_at() RETURNS trigger LANGUAGE plpgsql SET search_path = '' AS $b$ begin return new; end; $b$;", "function public.system_touch_updated_at (changed): body: database `begin return new; end;`", "CREATE OR REPLACE FUNCTION public.system_touch_updated_at() RETURNS trigger LANGUAGE plpgsql SET search_path = '' AS $b$\nbegin\n  new.updated_at := now();\n  return new;\nend;\n$b$;"),
    // The trigger the project puts on auth.users, a table it does not own.
    ("DROP TRIGGER tr_auth_users_create_profile ON auth.users;", "trigger tr_auth_users_create_profile on auth.users (missing)", "CREATE TRIGGER tr_auth_users_create_profile AFTER INSERT ON auth.users FOR EACH ROW WHEN (new.email IS NOT NULL) EXECUTE FUNCTION public.user_create_profile();"),
    ("ALTER TABLE auth.users DISABLE TRIGGER tr_auth_users_create_profile;", "trigger tr_auth_users_create_profile on auth.users (changed)", "ALTER TABLE auth.users ENABLE TRIGGER tr_auth_users_create_profile;"),
    ("CREATE FUNCTION public.system_touch_updated_at(p int) RETURNS int LANGUAGE sql AS 'select p';", "function public.system_touch_updated_at (1 argument(s)) (extra)", "DROP FUNCTION public.system_touch_updated_at(int);"),
    ("CREATE TABLE public.tmp_import (id int);", "table public.tmp_import (extra)", "DROP TABLE public.tmp_import;"),
    // Last: an added enum value cannot be undone.
    ("ALTER TYPE public.assistant_job_status ADD VALUE 'paused';", "enum public.assistant_job_status (changed)", ""),
];

#[test]
fn diff_names_every_manual_change_and_nothing_after_a_deploy() {
    let c = support::compile_ok(&support::repo_root().join("schemas"));
    let ir = c.ir.as_ref().unwrap();
    let out = example_history();
    let db = example_db("drift");
    assert!(deploy(&db, &out).status.success());
    for m in ["0002_standardize_phase1", "0003_standardize_phase2"] {
        db.exec(
            &std::fs::read_to_string(out.join("migrations").join(m).join("cleanup.sql")).unwrap(),
        )
        .unwrap();
    }
    let project = support::repo_root().join("schemas");
    let diff = |extra: &[&str]| {
        let mut args = vec![
            "diff",
            "--project",
            project.to_str().unwrap(),
            "--database-url",
            &db.url(),
            "--out",
            out.to_str().unwrap(),
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args, &out, &[])
    };

    // Right after a deploy: no drift, against the schema and against the last migration.
    let o = diff(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("no drift"), "{}", text(&o));
    let o = diff(&["--against", "last-migration"]);
    assert!(o.status.success(), "{}", text(&o));

    // Objects that belong to an extension are the extension's, not drift: pg_trgm and
    // pgTAP install hundreds of functions (and pgTAP types and views) into public.
    db.exec("CREATE EXTENSION pg_trgm; CREATE EXTENSION pgtap;")
        .unwrap();
    let found = support::catalog::compare(ir, &db);
    assert!(
        found.is_empty(),
        "objects of extensions reported as drift: {found:#?}"
    );
    db.exec("DROP EXTENSION pgtap; DROP EXTENSION pg_trgm;")
        .unwrap();

    // Each change is reported, and only it; undone, the report is empty again.
    let check = |change: &str, expect: &str| {
        let found = support::catalog::compare(ir, &db);
        assert!(
            found.iter().any(|d| d.contains(expect)),
            "after `{change}`, expected `{expect}` in {found:#?}"
        );
        found.len()
    };
    for (change, expect, undo) in DRIFTS {
        db.exec(change).unwrap();
        let n = check(change, expect);
        // A new table also shows the grants Supabase's default privileges gave it.
        assert!(n <= 4, "`{change}` reported as {n} differences");
        if !undo.is_empty() {
            db.exec(undo).unwrap();
            let left = support::catalog::compare(ir, &db);
            assert!(left.is_empty(), "after undoing `{change}`: {left:#?}");
        }
    }
    assert!(DRIFTS.len() >= 40, "{} single changes", DRIFTS.len());

    // The owner's own objects on auth.users are not the project's: never drift.
    db.exec("CREATE INDEX auth_users_created_at ON auth.users (created_at); CREATE TRIGGER auth_audit AFTER UPDATE ON auth.users FOR EACH ROW EXECUTE FUNCTION public.system_touch_updated_at(); GRANT SELECT ON auth.users TO anon;")
        .unwrap();
    let found = support::catalog::compare(ir, &db);
    assert!(
        found.iter().all(|d| !d.contains("auth.users")),
        "objects the project does not declare on auth.users reported: {found:#?}"
    );

    // The command: grouped human output, JSON and GitHub annotations, exit 1.
    let o = diff(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("enum:\n  changed  enum public.assistant_job_status"),
        "{t}"
    );
    assert!(t.contains("1 difference(s)"), "{t}");
    let o = diff(&["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["kind"], "changed");
    let o = diff(&["--format", "github"]);
    assert!(String::from_utf8_lossy(&o.stdout)
        .starts_with("::error title=schemac drift (changed)::enum public.assistant_job_status"));
}
