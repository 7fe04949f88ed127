//! Connection strings as libpq takes them: `postgres://` and `postgresql://` URLs with
//! `sslmode`, `sslrootcert`, `options`, `host` (a socket directory), `connect_timeout`
//! and `application_name`; the password from the URL or `PGPASSWORD`.
//!
//! The password is kept out of every message: [`Target::display`] shows the URL
//! without it.

use std::path::PathBuf;
use std::time::Duration;

/// How TLS is used, with libpq's meaning of each mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS when the server offers it, unverified (libpq's default).
    Prefer,
    /// TLS or nothing, the certificate unverified (what Supabase asks for).
    Require,
    /// TLS with a certificate signed by `sslrootcert`, any host name.
    VerifyCa,
    /// TLS with a certificate signed by `sslrootcert`, for this host name.
    VerifyFull,
}

/// A parsed connection string.
#[derive(Clone)]
pub struct Target {
    pub hosts: Vec<String>,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    pub dbname: Option<String>,
    pub options: Option<String>,
    pub application_name: Option<String>,
    pub sslmode: SslMode,
    pub sslrootcert: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// The URL with the password removed, for messages.
    display: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

impl Target {
    /// The URL without its password.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The same server and credentials, another database.
    pub fn with_dbname(&self, db: &str) -> Target {
        let mut t = self.clone();
        t.display = format!("{} (database {db})", self.display);
        t.dbname = Some(db.to_string());
        t
    }

    /// Parses `url`; `pgpassword` is the `PGPASSWORD` value, used when the URL has none.
    /// Errors never contain the password.
    pub fn parse(url: &str, pgpassword: Option<String>) -> Result<Target, String> {
        let scheme_end = url.find("://").ok_or_else(|| {
            "the database URL must start with `postgres://` or `postgresql://`".to_string()
        })?;
        let scheme = &url[..scheme_end];
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(format!(
                "`{scheme}://` is not a PostgreSQL URL: use `postgres://` or `postgresql://`"
            ));
        }
        let rest = &url[scheme_end + 3..];
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (rest, None),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, mut password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((n, p)) => (Some(decode(n)?), Some(decode(p)?)),
                None => (Some(decode(u)?), None),
            },
            None => (None, None),
        };
        let mut hosts = Vec::new();
        let mut port: Option<u16> = None;
        for hp in hostport.split(',').filter(|s| !s.is_empty()) {
            let (h, p) = split_host_port(hp)?;
            if !h.is_empty() {
                hosts.push(decode(&h)?);
            }
            if let Some(p) = p {
                port = Some(parse_port(&p)?);
            }
        }
        let dbname = match path.map(decode).transpose()? {
            Some(d) if !d.is_empty() => Some(d),
            _ => None,
        };
        let mut t = Target {
            hosts,
            port: port.unwrap_or(5432),
            user,
            password: None,
            dbname,
            options: None,
            application_name: None,
            sslmode: SslMode::Prefer,
            sslrootcert: None,
            connect_timeout: Duration::from_secs(10),
            display: String::new(),
        };
        let mut kept = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = decode(v)?;
            match k {
                "sslmode" => {
                    t.sslmode = match v.as_str() {
                        "disable" => SslMode::Disable,
                        "allow" | "prefer" => SslMode::Prefer,
                        "require" => SslMode::Require,
                        "verify-ca" => SslMode::VerifyCa,
                        "verify-full" => SslMode::VerifyFull,
                        other => {
                            return Err(format!(
                                "`sslmode={other}` is not a TLS mode: use disable, prefer, require, verify-ca or verify-full"
                            ))
                        }
                    }
                }
                "sslrootcert" => t.sslrootcert = Some(PathBuf::from(&v)),
                "options" => t.options = Some(v.clone()),
                "application_name" => t.application_name = Some(v.clone()),
                "host" => t.hosts.push(v.clone()),
                "port" => t.port = parse_port(&v)?,
                "user" => t.user = Some(v.clone()),
                "dbname" => t.dbname = Some(v.clone()),
                "password" => {
                    password = Some(v);
                    continue;
                }
                "connect_timeout" => {
                    let secs: u64 = v.parse().map_err(|_| {
                        format!("`connect_timeout={v}` is not a number of seconds")
                    })?;
                    t.connect_timeout = Duration::from_secs(secs.max(1));
                }
                other => {
                    return Err(format!(
                        "`{other}` is not a connection parameter schemac knows (it takes sslmode, sslrootcert, options, host, port, user, dbname, password, connect_timeout, application_name)"
                    ))
                }
            }
            kept.push(pair.to_string());
        }
        t.password = password.or(pgpassword.filter(|p| !p.is_empty()));
        if t.hosts.is_empty() {
            t.hosts.push("localhost".into());
        }
        let user = t
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let query = if kept.is_empty() {
            String::new()
        } else {
            format!("?{}", kept.join("&"))
        };
        t.display = format!(
            "{scheme}://{user}{hostport}/{}{query}",
            t.dbname.as_deref().unwrap_or("")
        );
        Ok(t)
    }
}

fn split_host_port(hp: &str) -> Result<(String, Option<String>), String> {
    if let Some(rest) = hp.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| "an IPv6 host in the URL lacks its closing `]`".to_string())?;
        let port = after.strip_prefix(':').map(str::to_string);
        return Ok((h.to_string(), port));
    }
    Ok(match hp.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), Some(p.to_string())),
        None => (hp.to_string(), None),
    })
}

fn parse_port(p: &str) -> Result<u16, String> {
    p.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("`{p}` is not a port number"))
}

/// Percent-decoding of one URL component.
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "a `%` in the URL is not followed by two hex digits".to_string())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the URL decodes to text that is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_libpq_takes_them() {
        let t = Target::parse(
            "postgresql://ann:s%40cret@db.example.com:6543/postgres?sslmode=require&options=-c%20search_path%3Dpublic",
            None,
        )
        .unwrap();
        assert_eq!(t.hosts, ["db.example.com"]);
        assert_eq!(t.port, 6543);
        assert_eq!(t.user.as_deref(), Some("ann"));
        assert_eq!(t.password.as_deref(), Some("s@cret"));
        assert_eq!(t.dbname.as_deref(), Some("postgres"));
        assert_eq!(t.sslmode, SslMode::Require);
        assert_eq!(t.options.as_deref(), Some("-c search_path=public"));
        assert!(!t.display().contains("cret"), "{}", t.display());
        assert!(!format!("{t:?}").contains("cret"));

        let t = Target::parse(
            "postgres:///app?host=/var/run/postgresql",
            Some("pw".into()),
        )
        .unwrap();
        assert_eq!(t.hosts, ["/var/run/postgresql"]);
        assert_eq!(t.password.as_deref(), Some("pw"));
        assert_eq!(t.sslmode, SslMode::Prefer);
    }

    #[test]
    fn bad_urls_say_why_without_the_password() {
        for (url, needle) in [
            ("mysql://u:hunter2@h/db", "not a PostgreSQL URL"),
            ("postgres://u:hunter2@h:99999/db", "not a port"),
            (
                "postgres://u:hunter2@h/db?sslmode=sometimes",
                "not a TLS mode",
            ),
            (
                "postgres://u:hunter2@h/db?frobnicate=1",
                "not a connection parameter",
            ),
            ("postgres://u:hunter2@h/d%zzb", "two hex digits"),
            ("localhost:5432", "must start with"),
        ] {
            let e = Target::parse(url, None).unwrap_err();
            assert!(e.contains(needle), "{url}: {e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
    }
}
