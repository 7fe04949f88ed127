-- Supabase's default privileges, for testing generated SQL on a plain PostgreSQL as it
-- would run on Supabase: every table, view, sequence and function the deploying role
-- creates in `public` is granted to the API roles. A project with `platform = "supabase"`
-- revokes what its TOML does not grant. Needs the roles of the Supabase shim.
-- Print it with `schemac shim --default-privileges`.

ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
