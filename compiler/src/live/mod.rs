//! Live databases: a PostgreSQL client (TLS through rustls), and the commands that use
//! it: `deploy` and `status` (the migration history table), `diff` (drift) and `import`;
//! and the released migrations in the Supabase CLI's layout.

pub mod cluster;
pub mod connect;
pub mod deploy;
pub mod drift;
pub mod import;
pub mod supabase;
pub mod url;
pub mod verify;

pub use connect::connect;
pub use url::Target;

/// Runs one query over the simple protocol and returns its rows as text (`t`/`f` for
/// booleans, an empty string for NULL), as the catalog readers want them.
pub fn rows(client: &mut postgres::Client, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let messages = client
        .simple_query(sql)
        .map_err(|e| match e.as_db_error() {
            Some(d) => d.message().to_string(),
            None => e.to_string(),
        })?;
    Ok(messages
        .iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect())
}
