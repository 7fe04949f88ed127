//! Functions (triggers are declared on their table).

use schemars::JsonSchema;
use serde::Deserialize;

use super::Sp;

/// `[functions.<name>]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Function {
    /// Arguments in order.
    #[serde(default)]
    pub arguments: Vec<Sp<Argument>>,
    /// Return type: `boolean`, `trigger`, `void`, `setof text`, `table(action text, ok boolean)`.
    pub returns: Sp<String>,
    /// `plpgsql` or `sql`.
    pub language: Sp<String>,
    /// The body (between the dollar quotes).
    pub body: Sp<String>,
    /// `volatile` (default), `stable`, `immutable`.
    #[serde(default)]
    pub volatility: Option<Sp<String>>,
    /// `SECURITY DEFINER` (runs with the owner's rights; requires `search_path`).
    #[serde(default)]
    pub security_definer: Option<Sp<bool>>,
    /// Fixed `search_path` for the function (`""` for an empty one).
    #[serde(default)]
    pub search_path: Option<Sp<String>>,
    /// Schema of the function (default: the project's default schema).
    #[serde(default)]
    pub schema: Option<Sp<String>>,
    /// `COMMENT ON FUNCTION`.
    #[serde(default)]
    pub comment: Option<Sp<String>>,
    /// Roles granted `EXECUTE`.
    #[serde(default)]
    pub grant_execute: Vec<Sp<String>>,
    /// Why a `security_definer` function may be executed by `anon`, `authenticated` or
    /// PUBLIC (it is part of the API, e.g. called by policies).
    #[serde(default)]
    pub api_reason: Option<Sp<String>>,
    /// Roles whose `EXECUTE` is revoked (`public` included: functions are executable by
    /// everyone unless revoked).
    #[serde(default)]
    pub revoke_execute: Vec<Sp<String>>,
    /// Lint exemptions: rule name to reason.
    #[serde(default)]
    pub allow: indexmap::IndexMap<Sp<String>, Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Argument {
    pub name: Sp<String>,
    #[serde(rename = "type")]
    pub ty: Sp<String>,
    /// Default expression (SQL).
    #[serde(default)]
    pub default: Option<Sp<String>>,
}
