//! What an import reads from the catalogs.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct Catalog {
    pub server_major: i64,
    pub database: String,
    /// Supabase's default privileges are in place (the API roles get every new object in
    /// `public`): the project is imported with `platform = "supabase"`.
    pub supabase: bool,
    pub tables: Vec<Table>,
    pub enums: Vec<Enum>,
    pub views: Vec<View>,
    pub functions: Vec<Function>,
    /// Objects the language cannot express, as SQL, with what they are.
    pub raws: Vec<Raw>,
    /// Triggers on tables outside the imported schemas that run an imported function,
    /// and the policies on tables outside them.
    pub on_external: Vec<OnExternal>,
    /// Tables of other schemas that imported objects refer to: name to (column, type).
    pub external_tables: BTreeMap<String, Vec<(String, String)>>,
    pub external_functions: BTreeSet<String>,
    pub external_schemas: BTreeSet<String>,
    pub roles: BTreeSet<String>,
    /// Installed extensions (besides plpgsql): name, schema, version.
    pub extensions: Vec<(String, String, String)>,
    /// What the extensions schemac's catalog does not know bring, read from the database.
    pub extension_members: BTreeMap<String, crate::ir::extensions::Provides>,
}

#[derive(Debug, Default)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub rls: bool,
    pub force_rls: bool,
    pub comment: Option<String>,
    pub columns: Vec<Column>,
    pub primary_key: Option<(String, Vec<String>)>,
    pub uniques: Vec<(String, Vec<String>, bool)>,
    pub checks: Vec<(String, String)>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub policies: Vec<Policy>,
    pub grants: BTreeMap<String, Vec<String>>,
    pub triggers: Vec<Trigger>,
}

#[derive(Debug, Default)]
pub struct Column {
    pub name: String,
    pub ty: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub identity: Option<&'static str>,
    pub generated: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub target: String,
    pub target_columns: Vec<String>,
    pub on_delete: &'static str,
    pub on_update: &'static str,
    pub deferrable: Option<&'static str>,
}

#[derive(Debug)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub method: String,
    /// Key columns, each with what follows it (`created_at DESC`).
    pub columns: Vec<String>,
    pub include: Vec<String>,
    /// `WITH` storage parameters: name and value as PostgreSQL keeps it.
    pub parameters: Vec<(String, String)>,
    pub expressions: Vec<String>,
    pub predicate: Option<String>,
}

#[derive(Debug)]
pub struct Policy {
    pub name: String,
    pub permissive: bool,
    pub roles: Vec<String>,
    pub command: String,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug)]
pub struct Trigger {
    pub name: String,
    pub timing: &'static str,
    pub events: Vec<&'static str>,
    pub for_each_row: bool,
    pub function: String,
    pub condition: Option<String>,
}

#[derive(Debug)]
pub struct Enum {
    pub schema: String,
    pub name: String,
    pub values: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug)]
pub struct View {
    pub schema: String,
    pub name: String,
    pub query: String,
    pub materialized: bool,
    pub security_invoker: bool,
    pub security_barrier: bool,
    pub check_option: Option<String>,
    pub comment: Option<String>,
    pub grants: BTreeMap<String, Vec<String>>,
}

#[derive(Debug)]
pub struct Function {
    pub schema: String,
    pub name: String,
    pub arguments: Vec<(String, String, Option<String>)>,
    pub returns: String,
    pub language: String,
    pub body: String,
    pub volatility: &'static str,
    pub security_definer: bool,
    pub search_path: Option<String>,
    pub comment: Option<String>,
    pub execute: Vec<String>,
}

#[derive(Debug)]
pub struct Raw {
    /// Table whose domain the block belongs to (or the object's own name).
    pub owner: String,
    pub name: String,
    pub sql: String,
    pub why: String,
    pub depends_on: Vec<String>,
    /// What it creates, as `[raw.<name>.creates]` lists it: (`relations`, `functions` or
    /// `triggers`, name).
    pub creates: Vec<(&'static str, String)>,
}

/// A trigger or a policy on an external table (`[on."schema.table"]`).
#[derive(Debug)]
pub struct OnExternal {
    /// What decides the domain: the function a trigger runs, a policy's name.
    pub owner: String,
    /// `schema.table`.
    pub table: String,
    pub object: ExternalObject,
}

#[derive(Debug)]
pub enum ExternalObject {
    Trigger(Trigger),
    Policy(Policy),
}
