//! The resolved IR: every name checked, every item with the place it came from.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::diag::{FileId, Loc};

/// A schema-qualified name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QName {
    pub schema: String,
    pub name: String,
}

impl QName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// Kinds of objects that other objects can depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjKind {
    Enum,
    Table,
    View,
    Function,
    Raw,
}

impl fmt::Display for ObjKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjKind::Enum => "enum",
            ObjKind::Table => "table",
            ObjKind::View => "view",
            ObjKind::Function => "function",
            ObjKind::Raw => "raw SQL",
        })
    }
}

/// A reference to a project object, used for dependency edges.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjRef {
    pub kind: ObjKind,
    pub name: QName,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct DomainId(pub usize);

/// The whole compiled project.
#[derive(Debug, Clone, Default)]
pub struct Ir {
    pub project: Project,
    pub domains: Vec<Domain>,
    pub enums: Vec<Enum>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub functions: Vec<Function>,
    pub raws: Vec<Raw>,
    /// Objects on tables the project does not own (`[on."schema.table"]`).
    pub on_external: Vec<OnExternal>,
    pub table_renames: Vec<TableRename>,
    pub column_renames: Vec<ColumnRename>,
    pub accepted_losses: Vec<AcceptedLoss>,
}

/// A data-losing change the TOML acknowledges.
#[derive(Debug, Clone)]
pub struct AcceptedLoss {
    /// `drop_table`, `drop_column`, `change_type`, `drop_enum_value`, `add_not_null_column`.
    pub change: String,
    pub object: String,
    pub reason: String,
    pub loc: Loc,
}

impl Ir {
    pub fn table(&self, name: &QName) -> Option<&Table> {
        self.tables.iter().find(|t| &t.name == name)
    }
    pub fn domain(&self, id: DomainId) -> &Domain {
        &self.domains[id.0]
    }
}

#[derive(Debug, Clone, Default)]
pub struct Project {
    pub file: Option<FileId>,
    pub name: String,
    pub description: Option<String>,
    pub postgres: i64,
    pub default_schema: String,
    pub roles: BTreeMap<String, Loc>,
    pub external_tables: BTreeMap<QName, ExternalTable>,
    pub external_functions: BTreeSet<QName>,
    pub external_schemas: BTreeSet<String>,
    /// `[extensions.<name>]`, by name.
    pub extensions: BTreeMap<String, Extension>,
    pub naming: Naming,
    pub reserved: Vec<ReservedCategory>,
    /// Rule name to (severity, where it was set).
    pub lint: BTreeMap<String, (String, Loc)>,
    pub lock_timeout: String,
    pub statement_timeout: String,
    pub platform: Platform,
}

/// Where the schema is deployed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Platform {
    #[default]
    Postgres,
    /// Supabase: default privileges give the API roles everything; schemac revokes them.
    Supabase,
}

/// The roles Supabase's default privileges give every privilege on new objects in `public`.
pub const SUPABASE_API_ROLES: [&str; 3] = ["anon", "authenticated", "service_role"];

#[derive(Debug, Clone, Default)]
pub struct ExternalTable {
    pub loc: Option<Loc>,
    /// Column name to canonical type.
    pub columns: BTreeMap<String, String>,
}

/// An extension the project creates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extension {
    pub schema: Option<String>,
    pub version: Option<String>,
    /// What it brings: the catalog's, or what the TOML lists.
    pub provides: super::extensions::Provides,
    pub loc: Option<Loc>,
}

#[derive(Debug, Clone, Default)]
pub struct Naming {
    pub singular_words: Vec<(String, Loc)>,
    pub generic_names: Vec<(String, Loc)>,
    pub index_pattern: Option<(String, Loc)>,
    pub policy_pattern: Option<(String, Loc)>,
}

#[derive(Debug, Clone)]
pub struct ReservedCategory {
    pub name: String,
    pub reason: String,
    pub loc: Loc,
    pub names: Vec<(String, Loc)>,
}

#[derive(Debug, Clone)]
pub struct Domain {
    pub name: String,
    pub loc: Loc,
    pub file: FileId,
    pub prefix: Option<(String, Loc)>,
    pub description: Option<String>,
    pub depends_on: Option<Vec<(String, Loc)>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enum {
    pub name: QName,
    #[serde(skip)]
    pub loc: Loc,
    #[serde(skip)]
    pub domain: DomainId,
    pub values: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exemption {
    pub rule: String,
    pub reason: String,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: QName,
    #[serde(skip)]
    pub loc: Loc,
    #[serde(skip)]
    pub domain: DomainId,
    pub description: Option<String>,
    pub rls: bool,
    /// Where `rls = ...` is written, when it is.
    #[serde(skip)]
    pub rls_loc: Option<Loc>,
    pub rls_reason: Option<String>,
    /// `FORCE ROW LEVEL SECURITY`; left out of snapshots when off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_rls: bool,
    pub service_role_only: bool,
    /// Holds secrets: no policy may let a role read every row.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<Unique>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub policies: Vec<Policy>,
    pub grants: Vec<Grant>,
    pub revokes: Vec<Grant>,
    pub triggers: Vec<Trigger>,
    pub allow: Vec<Exemption>,
    /// Objects that must exist before `CREATE TABLE` (enums, functions in defaults,
    /// referenced tables; foreign keys broken out of cycles are handled by the planner).
    pub deps: BTreeSet<ObjRef>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(skip)]
    pub loc: Loc,
    /// The type as written (normalized spacing, lower case keywords).
    pub ty: String,
    /// Canonical spelling for comparisons (`int4` and `integer` are the same).
    pub canonical_ty: String,
    #[serde(skip)]
    pub ty_loc: Loc,
    pub not_null: bool,
    pub default: Option<String>,
    pub generated: Option<String>,
    pub identity: Option<Identity>,
    pub comment: Option<String>,
    /// `USING` expression for a migration that changes the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convert_using: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Identity {
    Always,
    ByDefault,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unique {
    pub name: String,
    pub columns: Vec<String>,
    pub nulls_not_distinct: bool,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub expression: String,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Deferrable {
    InitiallyImmediate,
    InitiallyDeferred,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub target: QName,
    /// The target is a project table (not an external one).
    pub target_in_project: bool,
    pub target_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    pub deferrable: Option<Deferrable>,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKey {
    Column(String),
    Expr(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub method: String,
    pub keys: Vec<IndexKey>,
    /// What follows each key, in PostgreSQL's canonical form (`COLLATE "C" text_pattern_ops
    /// DESC NULLS LAST`); empty when no key has any (and then left out of snapshots).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_options: Vec<String>,
    /// `INCLUDE` columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// `WITH` storage parameters: name and value as SQL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<(String, String)>,
    pub predicate: Option<String>,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    #[serde(skip)]
    pub loc: Loc,
    pub command: PolicyCommand,
    #[serde(skip)]
    pub command_loc: Option<Loc>,
    /// Empty means `PUBLIC`.
    pub roles: Vec<(String, Loc)>,
    pub permissive: bool,
    pub using: Option<(String, Loc)>,
    pub with_check: Option<(String, Loc)>,
    pub comment: Option<String>,
    pub deps: BTreeSet<ObjRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub role: String,
    pub privileges: Vec<String>,
    #[serde(skip)]
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    #[serde(skip)]
    pub loc: Loc,
    pub timing: String,
    pub events: Vec<String>,
    pub for_each_row: bool,
    pub function: QName,
    pub condition: Option<String>,
}

/// Indexes, policies, grants and triggers a domain puts on an external table: the
/// table is neither created nor dropped, only these objects are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnExternal {
    /// The external table.
    pub table: QName,
    /// The key as the TOML writes it (`"auth.users"`).
    #[serde(skip)]
    pub key: String,
    #[serde(skip)]
    pub loc: Loc,
    #[serde(skip)]
    pub domain: DomainId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revokes: Vec<Grant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Trigger>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Exemption>,
    /// Project objects that must exist first (trigger functions, what policies read).
    pub deps: BTreeSet<ObjRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub name: QName,
    #[serde(skip)]
    pub loc: Loc,
    #[serde(skip)]
    pub domain: DomainId,
    pub query: String,
    #[serde(skip)]
    pub query_loc: Loc,
    pub security_invoker: bool,
    /// Left out of snapshots when off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub security_barrier: bool,
    pub check_option: Option<String>,
    pub materialized: bool,
    pub comment: Option<String>,
    pub grants: Vec<Grant>,
    pub revokes: Vec<Grant>,
    pub allow: Vec<Exemption>,
    pub deps: BTreeSet<ObjRef>,
    /// Every relation the query reads, project or not (for lints such as
    /// `view-not-security-invoker`).
    pub reads: BTreeSet<QName>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Argument {
    pub name: String,
    pub ty: String,
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub name: QName,
    #[serde(skip)]
    pub loc: Loc,
    #[serde(skip)]
    pub domain: DomainId,
    pub arguments: Vec<Argument>,
    pub returns: String,
    pub language: String,
    pub body: String,
    #[serde(skip)]
    pub body_loc: Loc,
    pub volatility: String,
    pub security_definer: bool,
    pub search_path: Option<String>,
    pub comment: Option<String>,
    pub grant_execute: Vec<(String, Loc)>,
    pub revoke_execute: Vec<(String, Loc)>,
    /// Why a security definer function is executable over the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_reason: Option<(String, Loc)>,
    pub allow: Vec<Exemption>,
    pub deps: BTreeSet<ObjRef>,
}

impl Function {
    /// `name(type, type)`: how `DROP FUNCTION` and `COMMENT ON FUNCTION` name it.
    pub fn arg_types(&self) -> Vec<&str> {
        self.arguments.iter().map(|a| a.ty.as_str()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Raw {
    pub name: String,
    #[serde(skip)]
    pub loc: Loc,
    #[serde(skip)]
    pub domain: DomainId,
    pub sql: String,
    pub rollback: Option<String>,
    pub reason: String,
    pub deps: BTreeSet<ObjRef>,
    /// What the block declares it creates.
    #[serde(default, skip_serializing_if = "RawCreates::is_empty")]
    pub creates: RawCreates,
}

impl Raw {
    /// How other objects name the block in their dependencies.
    pub fn obj_ref(&self) -> ObjRef {
        ObjRef {
            kind: ObjKind::Raw,
            name: QName::new("", self.name.clone()),
        }
    }
}

/// The names a raw block creates: columns of project tables, relations, functions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawCreates {
    /// (table, column).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<(QName, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<QName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<QName>,
    /// (table, trigger).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<(QName, String)>,
}

impl RawCreates {
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
            && self.relations.is_empty()
            && self.functions.is_empty()
            && self.triggers.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct TableRename {
    pub from: QName,
    pub to: QName,
    pub reason: String,
    pub compat_view: bool,
    pub loc: Loc,
    pub to_loc: Loc,
    pub domain: DomainId,
}

#[derive(Debug, Clone)]
pub struct ColumnRename {
    pub table: QName,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub loc: Loc,
}
