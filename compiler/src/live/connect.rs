//! A PostgreSQL session through the `postgres` crate, with TLS through rustls.
//!
//! `sslmode` keeps libpq's meaning: `require` encrypts without checking the certificate
//! (what Supabase's connection strings ask for), `verify-ca` checks it against
//! `sslrootcert`, `verify-full` also checks the host name.

use std::sync::Arc;

use postgres::config::SslMode as PgSslMode;
use postgres::{Client, Config, NoTls};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, SignatureScheme};

use super::url::{SslMode, Target};

/// Opens a session, or says in one sentence why not (never with the password).
pub fn connect(t: &Target) -> Result<Client, String> {
    let mut cfg = Config::new();
    for h in &t.hosts {
        cfg.host(h);
    }
    cfg.port(t.port);
    if let Some(u) = &t.user {
        cfg.user(u);
    } else if let Ok(u) = std::env::var("PGUSER").or_else(|_| std::env::var("USER")) {
        cfg.user(&u);
    }
    if let Some(p) = &t.password {
        cfg.password(p);
    }
    if let Some(d) = &t.dbname {
        cfg.dbname(d);
    }
    if let Some(o) = &t.options {
        cfg.options(o);
    }
    cfg.application_name(t.application_name.as_deref().unwrap_or("schemac"));
    cfg.connect_timeout(t.connect_timeout);
    // A unix socket carries no TLS (libpq ignores sslmode there too).
    let socket_only = t.hosts.iter().all(|h| h.starts_with('/'));
    let result = match t.sslmode {
        _ if socket_only => {
            cfg.ssl_mode(PgSslMode::Disable);
            cfg.connect(NoTls)
        }
        SslMode::Disable => {
            cfg.ssl_mode(PgSslMode::Disable);
            cfg.connect(NoTls)
        }
        mode => {
            cfg.ssl_mode(if mode == SslMode::Prefer {
                PgSslMode::Prefer
            } else {
                PgSslMode::Require
            });
            let tls = tls_config(t)?;
            cfg.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        }
    };
    result.map_err(|e| describe(t, &e))
}

/// One readable sentence for a connection failure.
fn describe(t: &Target, e: &postgres::Error) -> String {
    let at = t.display();
    if let Some(db) = e.as_db_error() {
        let hint = match db.code().code() {
            "28P01" => " (wrong password: check the URL or PGPASSWORD)",
            "28000" => {
                " (the server refuses this user from here: check pg_hba.conf or the user name)"
            }
            "3D000" => " (create the database first, or name another one in the URL)",
            _ => "",
        };
        return format!("cannot connect to {at}: {}{hint}", db.message());
    }
    let text = e.to_string();
    let source = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let detail = if source.is_empty() || text.contains(&source) {
        text
    } else {
        format!("{text}: {source}")
    };
    let hint = if detail.contains("timed out") || detail.contains("timeout") {
        " (is the host reachable and the port open?)"
    } else if detail.contains("Connection refused") {
        " (no server listens there: check the host and the port)"
    } else if detail.contains("unexpected message")
        || detail.contains("invalid message")
        || detail.contains("unexpected EOF")
        || detail.contains("bytes remaining on stream")
    {
        " (is this a PostgreSQL server?)"
    } else if detail.contains("certificate") || detail.contains("tls") || detail.contains("TLS") {
        " (check sslmode and sslrootcert)"
    } else {
        ""
    };
    format!("cannot connect to {at}: {detail}{hint}")
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_config(t: &Target) -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match t.sslmode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => Arc::new(Unverified(provider)),
        mode => {
            let path = t.sslrootcert.clone().or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| std::path::PathBuf::from(h).join(".postgresql/root.crt"))
                    .filter(|p| p.exists())
            });
            let path = path.ok_or_else(|| {
                "sslmode=verify-ca and verify-full need the CA certificate: add `sslrootcert=<file>` to the URL".to_string()
            })?;
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(&path)
                .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
            for c in certs {
                let c =
                    c.map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
                roots
                    .add(c)
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
            let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            if mode == SslMode::VerifyCa {
                Arc::new(AnyHostName(inner))
            } else {
                inner
            }
        }
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// `sslmode=require`: encrypted, the certificate not checked (libpq does the same).
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain is checked, the host name is not.
#[derive(Debug)]
struct AnyHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(TlsError::InvalidCertificate(CertificateError::NotValidForName))
            | Err(TlsError::InvalidCertificate(CertificateError::NotValidForNameContext {
                ..
            })) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
