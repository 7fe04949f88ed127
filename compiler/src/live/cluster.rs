//! A throwaway PostgreSQL cluster on this machine: `initdb` into a temporary directory
//! (as the `postgres` user when running as root, since initdb refuses root), listening
//! only on a unix socket in that directory, with `fsync=off`. A watchdog process stops
//! it and deletes the directory once the process that started it is gone, however it
//! ended; dropping a [`Throwaway`] does the same at once.
//!
//! `schemac verify` uses it when no `--database-url` is given; the tests use it for
//! their server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What to install when the server binaries are missing.
pub const INSTALL_HELP: &str = "PostgreSQL server binaries (initdb, pg_ctl) were not found. \
    Install them (Debian/Ubuntu: `apt-get install postgresql-15`), or pass --database-url \
    to a server where schemac may create a scratch database.";

/// The directory holding `initdb` and `pg_ctl`: `pg_config --bindir`, or the newest
/// `/usr/lib/postgresql/<major>/bin`.
pub fn find_bindir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() && p.join("pg_ctl").exists() {
            return Some(p);
        }
    }
    if let Some(dir) = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
    {
        return Some(dir);
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    candidates.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_string_lossy().parse::<u32>().ok())
            .unwrap_or(0)
    });
    candidates.pop()
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a server binary, as `postgres` when we are root.
pub fn run_as_server_user(bin: &Path, args: &[&str]) -> Result<(), String> {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {} failed:\n{}{}",
            bin.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// A fresh data directory in a new temporary directory (owned by `postgres` when we are
/// root): (bin directory, temporary directory, data directory).
pub fn init_cluster(label: &str) -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let bindir = find_bindir().ok_or_else(|| INSTALL_HELP.to_string())?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("schemac-{label}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if is_root() {
        let st = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| format!("cannot run chown: {e}"))?;
        if !st.success() {
            return Err("cannot chown the cluster directory to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let data_s = data.to_string_lossy().into_owned();
    run_as_server_user(
        &bindir.join("initdb"),
        &[
            "-D",
            &data_s,
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ],
    )?;
    Ok((bindir, dir, data))
}

fn stop_command(bindir: &Path, data: &Path) -> String {
    let pg_ctl = bindir.join("pg_ctl").to_string_lossy().into_owned();
    let data_s = data.to_string_lossy();
    if is_root() {
        format!("runuser -u postgres -- {pg_ctl} -D {data_s} -m immediate stop")
    } else {
        format!("{pg_ctl} -D {data_s} -m immediate stop")
    }
}

/// Starts the cluster in `data` with `opts`, and a watchdog that stops it and deletes
/// `dir` when this process is gone (finished, panicked or killed).
pub fn start_and_watch(bindir: &Path, dir: &Path, data: &Path, opts: &str) -> Result<(), String> {
    let data_s = data.to_string_lossy().into_owned();
    let log = dir.join("server.log").to_string_lossy().into_owned();
    run_as_server_user(
        &bindir.join("pg_ctl"),
        &[
            "-D", &data_s, "-o", opts, "-l", &log, "-w", "-t", "60", "start",
        ],
    )?;
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        stop = stop_command(bindir, data),
        dir = dir.to_string_lossy()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the cluster watchdog: {e}"))?;
    Ok(())
}

/// A running throwaway cluster, stopped and deleted when dropped.
pub struct Throwaway {
    bindir: PathBuf,
    dir: PathBuf,
    data: PathBuf,
    port: u16,
}

impl Throwaway {
    pub fn start(label: &str) -> Result<Throwaway, String> {
        let (bindir, dir, data) = init_cluster(label)?;
        // The port only names the unix socket; one per process keeps clusters apart.
        let port = (std::process::id() % 20_000 + 30_000) as u16;
        let opts = format!(
            "-k {} -p {port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            dir.to_string_lossy()
        );
        let t = Throwaway {
            bindir,
            dir,
            data,
            port,
        };
        start_and_watch(&t.bindir, &t.dir, &t.data, &opts)?;
        Ok(t)
    }

    /// The URL of a database of this cluster (as the `postgres` user, over the socket).
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql:///{db}?host={}&port={}&user=postgres",
            self.dir.to_string_lossy(),
            self.port
        )
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .args(["-c", &stop_command(&self.bindir, &self.data)])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
