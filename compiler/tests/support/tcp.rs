//! A second throwaway PostgreSQL, on TCP with TLS and passwords, for the connection tests.

use std::path::PathBuf;
use std::process::Command;

use schemac::live::cluster::{init_cluster, is_root, start_and_watch};

/// A second throwaway server for connection tests: TCP on 127.0.0.1 with TLS (a
/// self-signed certificate made with openssl), password authentication (SCRAM) for TCP,
/// trust on its unix socket.
pub struct TcpServer {
    pub port: u16,
    pub password: String,
    /// The CA certificate that signed the server's, to pass as `sslrootcert`.
    pub cert: PathBuf,
    socket_dir: String,
}

impl TcpServer {
    pub fn start(label: &str, tls: bool) -> TcpServer {
        Self::try_start(label, tls).unwrap_or_else(|e| panic!("cannot start a TCP server: {e}"))
    }
    fn try_start(label: &str, tls: bool) -> Result<TcpServer, String> {
        let (bindir, dir, data) = init_cluster(label)?;
        let dir_s = dir.to_string_lossy().into_owned();
        let cert = data.join("server.crt");
        let key = data.join("server.key");
        if tls {
            // A CA of its own, and a server certificate it signs for 127.0.0.1 and localhost.
            let ca_key = dir.join("ca.key");
            let ca_cert = dir.join("ca.crt");
            let csr = dir.join("server.csr");
            let ext = dir.join("server.ext");
            std::fs::write(
                &ext,
                "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
            )
            .map_err(|e| e.to_string())?;
            let p = |p: &PathBuf| p.to_string_lossy().into_owned();
            let (ca_key_s, ca_cert_s, csr_s, ext_s, key_s, cert_s) =
                (p(&ca_key), p(&ca_cert), p(&csr), p(&ext), p(&key), p(&cert));
            for args in [
                vec![
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=schemac test CA",
                    "-keyout",
                    &ca_key_s,
                    "-out",
                    &ca_cert_s,
                ],
                vec![
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-subj",
                    "/CN=localhost",
                    "-keyout",
                    &key_s,
                    "-out",
                    &csr_s,
                ],
                vec![
                    "x509",
                    "-req",
                    "-in",
                    &csr_s,
                    "-CA",
                    &ca_cert_s,
                    "-CAkey",
                    &ca_key_s,
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-extfile",
                    &ext_s,
                    "-out",
                    &cert_s,
                ],
            ] {
                let out = Command::new("openssl")
                    .args(&args)
                    .output()
                    .map_err(|e| format!("cannot run openssl: {e}"))?;
                if !out.status.success() {
                    return Err(format!(
                        "openssl failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
            if is_root() {
                Command::new("chown")
                    .args(["postgres:postgres"])
                    .arg(&key)
                    .arg(&cert)
                    .status()
                    .map_err(|e| e.to_string())?;
            }
            Command::new("chmod")
                .arg("600")
                .arg(&key)
                .status()
                .map_err(|e| e.to_string())?;
        }
        // With TLS, unencrypted TCP is refused, as on Supabase.
        let hba = if tls {
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n"
        } else {
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
        };
        let hba_path = data.join("pg_hba.conf");
        std::fs::write(&hba_path, hba).map_err(|e| e.to_string())?;
        if is_root() {
            Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&hba_path)
                .status()
                .map_err(|e| e.to_string())?;
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        drop(listener);
        let ssl = if tls {
            format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert.display(),
                key.display()
            )
        } else {
            String::new()
        };
        let opts = format!("-k {dir_s} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c password_encryption=scram-sha-256{ssl}");
        start_and_watch(&bindir, &dir, &data, &opts)?;
        let password = format!("pw-{}-secret", std::process::id());
        let out = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                &dir_s,
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
            ])
            .arg(format!("ALTER ROLE postgres PASSWORD '{password}';"))
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(TcpServer {
            port,
            password,
            cert: dir.join("ca.crt"),
            socket_dir: dir_s,
        })
    }
    /// A URL over TCP for `db`, with `query` parameters, without the password.
    pub fn url(&self, db: &str, query: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{db}?{query}", self.port)
    }
    /// Runs SQL through the unix socket (trusted).
    pub fn exec(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                &self.socket_dir,
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                db,
                "-c",
                sql,
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}
