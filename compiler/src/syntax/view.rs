//! Views and materialized views.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::Sp;

/// `[views.<name>]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// The `SELECT` (SQL); the tables it reads become dependencies.
    pub query: Sp<String>,
    /// Run with the caller's privileges so RLS applies to the caller (PostgreSQL 15).
    #[serde(default)]
    pub security_invoker: Option<Sp<bool>>,
    /// `security_barrier`: the view's conditions run before any function a query adds,
    /// so a leaky function cannot see rows the view filters out.
    #[serde(default)]
    pub security_barrier: Option<Sp<bool>>,
    /// `local` or `cascaded`.
    #[serde(default)]
    pub check_option: Option<Sp<String>>,
    /// Materialized view.
    #[serde(default)]
    pub materialized: Option<Sp<bool>>,
    /// Schema of the view (default: the project's default schema).
    #[serde(default)]
    pub schema: Option<Sp<String>>,
    /// `COMMENT ON VIEW`.
    #[serde(default)]
    pub comment: Option<Sp<String>>,
    /// Privileges granted per role.
    #[serde(default)]
    pub grants: IndexMap<Sp<String>, Vec<Sp<String>>>,
    /// Privileges revoked per role.
    #[serde(default)]
    pub revokes: IndexMap<Sp<String>, Vec<Sp<String>>>,
    /// Lint exemptions: rule name to reason.
    #[serde(default)]
    pub allow: IndexMap<Sp<String>, Sp<String>>,
}
