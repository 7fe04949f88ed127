//! `schemac.toml`: the project file.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::Sp;

/// The project file, `schemas/schemac.toml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// Project name and target PostgreSQL version.
    pub project: Sp<ProjectSection>,
    /// Roles that policies and grants may name (e.g. Supabase's `anon`, `authenticated`, `service_role`).
    #[serde(default)]
    pub roles: IndexMap<Sp<String>, Sp<RoleDecl>>,
    /// Objects that exist in the database but are not managed by this project
    /// (Supabase's `auth.users`, `auth.uid()`), so references to them resolve.
    #[serde(default)]
    pub external: Option<Sp<External>>,
    /// Extensions the project creates (`CREATE EXTENSION IF NOT EXISTS`), before anything
    /// else. What each brings (types, functions, operator classes, index methods) is known
    /// for the common ones; another extension lists what the project uses of it.
    #[serde(default)]
    pub extensions: IndexMap<Sp<String>, Sp<ExtensionDecl>>,
    /// Naming conventions judged by `schemac lint`.
    #[serde(default)]
    pub naming: Option<Sp<Naming>>,
    /// Reserved table names, grouped in categories, each with a reason.
    #[serde(default)]
    pub reserved: IndexMap<Sp<String>, Sp<ReservedCategory>>,
    /// Lint severities per rule: `"error"`, `"warn"` or `"off"`.
    #[serde(default)]
    pub lint: IndexMap<Sp<String>, Sp<String>>,
    /// Migration settings.
    #[serde(default)]
    pub migrations: Option<Sp<MigrationSettings>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    /// Project name, used in generated headers.
    pub name: Sp<String>,
    /// Minimum PostgreSQL major version the generated SQL must run on (at least 15).
    pub postgres: Sp<i64>,
    /// Schema that holds tables which do not name one (default `public`).
    #[serde(default)]
    pub default_schema: Option<Sp<String>>,
    /// What the project is.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// Where the schema is deployed: `postgres` (default) or `supabase`. On Supabase,
    /// default privileges give `anon`, `authenticated` and `service_role` every privilege
    /// on new tables, views and functions; schemac revokes them, so the declared grants
    /// are the whole truth.
    #[serde(default)]
    pub platform: Option<Sp<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecl {
    /// Schema to install it into (`WITH SCHEMA`; Supabase keeps extensions in
    /// `extensions`). Default: the server's choice, the first schema of the search path.
    #[serde(default)]
    pub schema: Option<Sp<String>>,
    /// Version to install (`VERSION`). Default: the server's default version.
    #[serde(default)]
    pub version: Option<Sp<String>>,
    /// Types the project uses from an extension schemac does not know.
    #[serde(default)]
    pub types: Vec<Sp<String>>,
    /// Functions the project calls from an extension schemac does not know (any
    /// number of arguments).
    #[serde(default)]
    pub functions: Vec<Sp<String>>,
    /// Operator classes and index methods the project uses from such an extension.
    #[serde(default)]
    pub opclasses: Vec<Sp<String>>,
    #[serde(default)]
    pub methods: Vec<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleDecl {
    /// What the role is for.
    #[serde(default)]
    pub description: Option<Sp<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct External {
    /// Tables outside the project: `"auth.users" = { id = "uuid" }` (column name to type).
    #[serde(default)]
    pub tables: IndexMap<Sp<String>, IndexMap<Sp<String>, Sp<String>>>,
    /// Functions outside the project that the project calls, e.g. `"auth.uid"`.
    #[serde(default)]
    pub functions: Vec<Sp<String>>,
    /// Schemas that exist already and are not created by the project (e.g. `auth`, `extensions`).
    #[serde(default)]
    pub schemas: Vec<Sp<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Naming {
    /// Words accepted as the last word of a table name although they are not plural
    /// (`status`, `settings`, `data`, `setup`).
    #[serde(default)]
    pub singular_words: Vec<Sp<String>>,
    /// Names that say nothing about their domain (`messages`, `calls`, `items`).
    #[serde(default)]
    pub generic_names: Vec<Sp<String>>,
    /// Pattern for index names, e.g. `"idx_{table}_{columns}"`.
    #[serde(default)]
    pub index_pattern: Option<Sp<String>>,
    /// Pattern for policy names, e.g. `"{table}_{name}"` (must start with the table name).
    #[serde(default)]
    pub policy_pattern: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservedCategory {
    /// Why names in this category are reserved.
    pub reason: Sp<String>,
    /// The reserved names.
    pub names: Vec<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrationSettings {
    /// `SET lock_timeout` at the start of every migration (default `"5s"`).
    #[serde(default)]
    pub lock_timeout: Option<Sp<String>>,
    /// `SET statement_timeout` at the start of every migration (default `"60s"`).
    #[serde(default)]
    pub statement_timeout: Option<Sp<String>>,
}
