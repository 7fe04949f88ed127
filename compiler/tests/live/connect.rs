//! Connections: TLS, passwords, and clear errors for bad ones.

use super::*;

#[test]
fn deploy_over_tls_with_a_password_and_clear_errors_for_bad_connections() {
    let server = TcpServer::start("tls", true);
    server.exec("postgres", "CREATE DATABASE app;").unwrap();
    server.exec("app", schemac::SUPABASE_SHIM).unwrap();
    let out = example_history();
    let o_dir = out.to_str().unwrap();
    let pw = server.password.clone();
    let cert = server.cert.to_string_lossy().into_owned();

    // sslmode=verify-full against the self-signed certificate, password from PGPASSWORD.
    let url = server.url("app", &format!("sslmode=verify-full&sslrootcert={cert}"));
    let o = run(
        &["deploy", "--database-url", &url, "--out", o_dir],
        &out,
        &[("PGPASSWORD", &pw)],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains(&pw));
    let ssl = server
        .exec("app", "select count(*) from schemac.migrations")
        .unwrap();
    assert_eq!(ssl.trim(), "3");

    // sslmode=require, password in the URL: status works, the password is not shown.
    let with_pw = format!(
        "postgresql://postgres:{pw}@127.0.0.1:{}/app?sslmode=require",
        server.port
    );
    let o = run(
        &["status", "--database-url", &with_pw, "--out", o_dir],
        &out,
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains(&pw));

    // Each bad connection: one clear line, exit 1, no panic, no password.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let not_pg = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        // Read the client's startup message before answering and drain
        // what it sends after: closing a socket with unread bytes resets
        // the connection, and the client would see a reset, not an answer.
        for s in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut s = s;
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            let _ = s.flush();
            let _ = s.shutdown(std::net::Shutdown::Write);
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
        }
    });
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            "mysql://root:hunter2@127.0.0.1/app".into(),
            "not a PostgreSQL URL",
        ),
        (
            format!(
                "postgresql://postgres:wrong-{pw}@127.0.0.1:{}/app?sslmode=require",
                server.port
            ),
            "password authentication failed",
        ),
        (
            format!("postgresql://postgres:{pw}@127.0.0.1:{closed}/app?connect_timeout=2"),
            "Connection refused",
        ),
        (
            format!("postgresql://postgres:{pw}@10.255.255.1:5432/app?connect_timeout=1"),
            "cannot connect to postgresql://postgres@10.255.255.1:5432/app",
        ),
        (
            format!("postgresql://postgres:{pw}@127.0.0.1:{not_pg}/app?sslmode=disable"),
            "is this a PostgreSQL server?",
        ),
        (
            format!(
                "postgresql://postgres:{pw}@127.0.0.1:{}/app?sslmode=disable",
                server.port
            ),
            "no encryption",
        ),
        (
            format!(
                "postgresql://postgres:{pw}@127.0.0.1:{}/nope?sslmode=require",
                server.port
            ),
            "does not exist",
        ),
    ];
    for (url, needle) in &cases {
        let o = run(
            &["status", "--database-url", url, "--out", o_dir],
            &out,
            &[],
        );
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{url}: {t}");
        assert!(t.contains(needle), "{url}: expected `{needle}` in: {t}");
        assert!(
            !t.contains("panicked") && !t.contains(&pw) && !t.contains("hunter2"),
            "{t}"
        );
        assert_eq!(t.trim().lines().count(), 1, "one line: {t}");
    }

    // A database without the Supabase roles: the first migration fails and leaves nothing.
    server.exec("postgres", "CREATE DATABASE bare;").unwrap();
    let url = server.url("bare", "sslmode=require");
    let o = run(
        &["deploy", "--database-url", &url, "--out", o_dir],
        &out,
        &[("PGPASSWORD", &pw)],
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("0001_initial_platform failed") && t.contains("rolled back"),
        "{t}"
    );
    assert_eq!(
        server
            .exec("bare", "select count(*) from schemac.migrations")
            .unwrap()
            .trim(),
        "0"
    );
}
