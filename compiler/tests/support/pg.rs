//! A real PostgreSQL for the tests.
//!
//! With `DATABASE_URL` set, tests use that server (the role must be allowed to create
//! databases and roles). Otherwise the first test that needs one starts a throwaway
//! cluster: `initdb` into a temporary directory (as the `postgres` user when the tests
//! run as root, since initdb refuses root), listening only on a unix socket in that
//! directory, `fsync=off`. A watchdog process stops the cluster and deletes the
//! directory when the test process exits, also when a test panics.
//!
//! Each test gets its own database, created from a template that holds the Supabase
//! shim, so tests run in parallel. A missing server is a failure, never a skip.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use schemac::live::cluster::{find_bindir, init_cluster, start_and_watch};

const INSTALL_HELP: &str = "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them \
    (Debian/Ubuntu: `apt-get install postgresql-15`), or set DATABASE_URL to a server the tests may \
    create databases on. `.ci/run` installs them when missing.";

/// Where the tests' server is and how to reach it.
pub struct Server {
    /// Connection parameters for psql, without the database name.
    conn: Vec<(String, String)>,
    /// `postgresql://` URL of the admin database when DATABASE_URL was given.
    url: Option<String>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);
/// The template database (with the Supabase shim) each test database is made from;
/// one per test process, so runs against a shared `DATABASE_URL` server do not clash.
fn template() -> String {
    format!("schemac_template_{}", std::process::id())
}

fn start_cluster() -> Result<Server, String> {
    if find_bindir().is_none() {
        return Err(INSTALL_HELP.into());
    }
    let (bindir, dir, data) = init_cluster("pg")?;
    let dir_s = dir.to_string_lossy().into_owned();
    // A port number still names the unix socket; pick one no other cluster here uses.
    let port = (std::process::id() % 20000 + 30000).to_string();
    let opts = format!("-k {dir_s} -p {port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
    start_and_watch(&bindir, &dir, &data, &opts)?;
    Ok(Server {
        conn: vec![
            ("host".into(), dir_s),
            ("port".into(), port),
            ("user".into(), "postgres".into()),
        ],
        url: None,
    })
}

impl Server {
    /// `DATABASE_URL` with its database replaced (query parameters kept).
    fn url_for(url: &str, db: &str) -> String {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (url, String::new()),
        };
        let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
        format!("{prefix}/{db}{query}")
    }

    /// The shared server, started on first use. Panics with what to install when there
    /// is none.
    pub fn get() -> &'static Server {
        let s = SERVER.get_or_init(|| {
            let server = match std::env::var("DATABASE_URL") {
                Ok(url) if !url.is_empty() => {
                    let server = Server {
                        conn: Vec::new(),
                        url: Some(url),
                    };
                    server.clean_up_on_exit()?;
                    Ok(server)
                }
                _ => start_cluster(),
            }?;
            server.prepare_template()?;
            Ok(server)
        });
        match s {
            Ok(s) => s,
            Err(e) => panic!("no PostgreSQL for the tests: {e}"),
        }
    }

    /// What `-d` takes for a database: a URL from `DATABASE_URL`, or a conninfo string
    /// for the throwaway cluster.
    fn connection(&self, db: &str) -> String {
        match &self.url {
            Some(url) => Self::url_for(url, db),
            None => self
                .conn
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .chain(std::iter::once(format!("dbname={db}")))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    fn psql_base(&self, db: &str) -> Command {
        let mut c = Command::new("psql");
        c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "--no-psqlrc"]);
        c.arg("-d").arg(self.connection(db));
        c.env("PGCONNECT_TIMEOUT", "10");
        c.stdin(Stdio::null());
        c
    }

    fn admin_db(&self) -> String {
        match &self.url {
            Some(url) => url
                .split('?')
                .next()
                .and_then(|b| b.rsplit_once('/'))
                .map(|(_, d)| d.to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "postgres".into()),
            None => "postgres".into(),
        }
    }

    /// On your own server (`DATABASE_URL`): when this test process is gone, a watchdog
    /// drops its template and any test database it left (a test killed before its
    /// `Drop` ran). The throwaway cluster needs none: it is deleted whole.
    fn clean_up_on_exit(&self) -> Result<(), String> {
        let pid = std::process::id();
        let admin = self.connection(&self.admin_db());
        let sql = format!(
            "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE);', datname) FROM pg_database \
             WHERE datname = 'schemac_template_{pid}' OR datname LIKE 't\\_%\\_{pid}\\_%' \\gexec"
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; printf '%s\\n' \"$SCHEMAC_SQL\" | psql -X -q --no-psqlrc -d \"$SCHEMAC_ADMIN\" >/dev/null 2>&1"
        );
        Command::new("sh")
            .args(["-c", &script])
            .env("SCHEMAC_SQL", sql)
            .env("SCHEMAC_ADMIN", admin)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("cannot start the clean-up watchdog: {e}"))
    }

    fn prepare_template(&self) -> Result<(), String> {
        let admin = self.admin_db();
        let template = template();
        let _ = self.exec(&admin, &format!("DROP DATABASE IF EXISTS {template}"));
        self.exec(&admin, &format!("CREATE DATABASE {template}"))?;
        self.exec(&template, schemac::SUPABASE_SHIM)?;
        Ok(())
    }

    /// Runs SQL (any number of statements) in `db`; returns stdout, or the error text.
    pub fn exec(&self, db: &str, sql: &str) -> Result<String, String> {
        let tmp = std::env::temp_dir().join(format!(
            "schemac-sql-{}-{}.sql",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&tmp, sql).map_err(|e| e.to_string())?;
        let out = self
            .psql_base(db)
            .arg("-f")
            .arg(&tmp)
            .output()
            .map_err(|e| format!("cannot run psql: {e}"));
        let _ = std::fs::remove_file(&tmp);
        let out = out?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// `pg_dump --schema-only` of the given schemas, normalized for comparison
    /// (comments, blank lines and session settings removed).
    pub fn dump(&self, db: &str, schemas: &[&str]) -> String {
        let bin = find_bindir()
            .map(|b| b.join("pg_dump"))
            .filter(|p| p.exists())
            .unwrap_or_else(|| PathBuf::from("pg_dump"));
        let mut c = Command::new(bin);
        c.args(["--schema-only", "--no-owner"]);
        for s in schemas {
            c.arg("-n").arg(s);
        }
        c.arg("-d").arg(self.connection(db));
        let out = c
            .output()
            .unwrap_or_else(|e| panic!("cannot run pg_dump: {e}"));
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| {
                !l.starts_with("--")
                    && !l.trim().is_empty()
                    && !l.starts_with("SET ")
                    && !l.starts_with("SELECT pg_catalog.set_config")
                    && !l.starts_with("\\restrict")
                    && !l.starts_with("\\unrestrict")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Rows of a query as `|`-separated text lines.
    /// Rows as values (unit and record separators, so values may hold `|` and newlines).
    pub fn rows(&self, db: &str, sql: &str) -> Result<Vec<Vec<String>>, String> {
        let out = self
            .psql_base(db)
            .args(["-A", "-t", "-F", "\u{1f}", "-R", "\u{1e}", "-c", sql])
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .trim_end_matches('\n')
            .split('\u{1e}')
            .filter(|r| !r.is_empty())
            .map(|r| r.split('\u{1f}').map(str::to_string).collect())
            .collect())
    }

    pub fn query(&self, db: &str, sql: &str) -> Result<Vec<String>, String> {
        let out = self
            .psql_base(db)
            .args(["-A", "-t", "-F", "|", "-c", sql])
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// A fresh database with the Supabase shim, dropped when the guard goes out of scope.
    pub fn database(&'static self, label: &str) -> TestDb {
        let clean: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let name = format!(
            "t_{clean}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let admin = self.admin_db();
        // CREATE DATABASE ... TEMPLATE fails if another session is connected to the
        // template; psql sessions are short, so retry briefly.
        let mut last = String::new();
        for _ in 0..50 {
            match self.exec(
                &admin,
                &format!("CREATE DATABASE {name} TEMPLATE {}", template()),
            ) {
                Ok(_) => return TestDb { server: self, name },
                Err(e) => {
                    last = e;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
        }
        panic!("cannot create test database {name}: {last}");
    }
}

/// A test's own database.
pub struct TestDb {
    pub server: &'static Server,
    pub name: String,
}

/// A session holding a lock until dropped.
pub struct LockHolder(std::process::Child);

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl TestDb {
    /// Runs pgTAP test files with `pg_prove`; returns (passed, output).
    pub fn pg_prove(&self, files: &[std::path::PathBuf]) -> (bool, String) {
        let mut cmd = Command::new("pg_prove");
        match &self.server.url {
            // pg_prove passes -d to psql, which accepts a connection URL.
            Some(url) => {
                cmd.arg("-d").arg(Server::url_for(url, &self.name));
            }
            None => {
                for (k, v) in &self.server.conn {
                    let flag = match k.as_str() {
                        "host" => "-h",
                        "port" => "-p",
                        _ => "-U",
                    };
                    cmd.arg(flag).arg(v);
                }
                cmd.arg("-d").arg(&self.name);
            }
        }
        let out = cmd
            .args(files)
            .output()
            .unwrap_or_else(|e| panic!("cannot run pg_prove ({e}); install it: apt-get install libtap-parser-sourcehandler-pgtap-perl postgresql-15-pgtap (`.ci/run` does)"));
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// Opens a second session that takes a lock and keeps it for up to `seconds`.
    pub fn hold_lock(&self, lock_sql: &str, seconds: u32) -> LockHolder {
        let mut c = self.server.psql_base(&self.name);
        c.arg("-c").arg(format!(
            "BEGIN; {lock_sql}; SELECT pg_sleep({seconds}); COMMIT;"
        ));
        c.stdout(Stdio::null()).stderr(Stdio::null());
        let child = c.spawn().expect("psql starts");
        // Wait until the lock is granted to the other session.
        for _ in 0..100 {
            let n = self.query_one("select count(*) from pg_locks l join pg_stat_activity a on a.pid = l.pid where a.query like 'BEGIN; LOCK%' and l.granted and l.locktype = 'relation'");
            if n != "0" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        LockHolder(child)
    }
    pub fn dump(&self, schemas: &[&str]) -> String {
        self.server.dump(&self.name, schemas)
    }
    /// A `postgresql://` URL for this database, as `schemac deploy` takes it.
    pub fn url(&self) -> String {
        match &self.server.url {
            Some(url) => Server::url_for(url, &self.name),
            None => {
                let get = |k: &str| {
                    self.server
                        .conn
                        .iter()
                        .find(|(key, _)| key == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                format!(
                    "postgresql:///{}?host={}&port={}&user={}",
                    self.name,
                    get("host"),
                    get("port"),
                    get("user")
                )
            }
        }
    }
    pub fn exec(&self, sql: &str) -> Result<String, String> {
        self.server.exec(&self.name, sql)
    }
    pub fn query(&self, sql: &str) -> Vec<String> {
        self.server
            .query(&self.name, sql)
            .unwrap_or_else(|e| panic!("query failed: {e}\n{sql}"))
    }
    pub fn query_one(&self, sql: &str) -> String {
        self.query(sql).into_iter().next().unwrap_or_default()
    }
    /// Gives this database Supabase's default privileges (the API roles get every new
    /// table, sequence and function in `public`), as on a Supabase project.
    pub fn with_supabase_defaults(self) -> Self {
        self.exec(schemac::SUPABASE_DEFAULT_PRIVILEGES)
            .unwrap_or_else(|e| panic!("cannot set the default privileges: {e}"));
        self
    }
    /// Supabase's default privileges when the project deploys there.
    pub fn like_platform(self, ir: &schemac::ir::Ir) -> Self {
        if ir.project.platform == schemac::ir::Platform::Supabase {
            self.with_supabase_defaults()
        } else {
            self
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.server.admin_db();
        let _ = self.server.exec(
            &admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}
