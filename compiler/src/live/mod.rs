//! Live databases: a PostgreSQL client (TLS through rustls), and the commands that use
//! it: `deploy` and `status` (the migration history table).

pub mod connect;
pub mod deploy;
pub mod drift;
pub mod url;

pub use connect::connect;
pub use url::Target;
