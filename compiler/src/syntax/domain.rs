//! `domains/<domain>.toml`: one file per domain (an ownership unit, usually a table-name prefix).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Function, OnExternal, Sp, Table, View};

/// One domain file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainFile {
    /// Who owns the tables of this file.
    pub domain: Sp<DomainSection>,
    /// Enum types: `[enums.crm_lead_status] values = ["new", "won"]`.
    #[serde(default)]
    pub enums: IndexMap<Sp<String>, Sp<EnumDecl>>,
    /// Tables, keyed by name.
    #[serde(default)]
    pub tables: IndexMap<Sp<String>, Sp<Table>>,
    /// Views and materialized views, keyed by name.
    #[serde(default)]
    pub views: IndexMap<Sp<String>, Sp<View>>,
    /// Functions, keyed by name (one signature per name).
    #[serde(default)]
    pub functions: IndexMap<Sp<String>, Sp<Function>>,
    /// Declared renames: the record of history that migrations compile.
    #[serde(default)]
    pub renames: Option<Sp<Renames>>,
    /// Objects on tables the project does not own, keyed by `"schema.table"`:
    /// `[on."auth.users".triggers.on_auth_user_created]`.
    #[serde(default)]
    pub on: IndexMap<Sp<String>, Sp<OnExternal>>,
    /// SQL the language does not model, emitted verbatim and marked as such.
    #[serde(default)]
    pub raw: IndexMap<Sp<String>, Sp<RawSql>>,
    /// Changes that lose data, acknowledged so `schemac migrate` may generate them.
    #[serde(default)]
    pub accept_data_loss: Vec<Sp<AcceptDataLoss>>,
}

/// `[[accept_data_loss]]`: a migration may drop or narrow this, for this reason.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptDataLoss {
    /// `drop_table`, `drop_column`, `change_type`, `drop_enum_value` or `add_not_null_column`.
    pub change: Sp<String>,
    /// `table`, `table.column`, or `enum.value`.
    pub object: Sp<String>,
    /// Why losing the data is acceptable.
    pub reason: Sp<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainSection {
    /// Domain name (`crm`); also names the generated per-domain SQL file.
    pub name: Sp<String>,
    /// Table-name prefix that says who owns the data (`crm_`); absent for a domain without one.
    #[serde(default)]
    pub prefix: Option<Sp<String>>,
    /// What the domain holds.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// Domains whose objects this one references. When given, it is checked against
    /// the references the schema actually makes.
    #[serde(default)]
    pub depends_on: Option<Vec<Sp<String>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnumDecl {
    /// The labels, in order.
    pub values: Vec<Sp<String>>,
    /// Schema of the type (default: the project's default schema).
    #[serde(default)]
    pub schema: Option<Sp<String>>,
    /// `COMMENT ON TYPE`.
    #[serde(default)]
    pub comment: Option<Sp<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Renames {
    /// Table renames keyed by the old name: `[renames.tables.messages] to = "comms_messages"`.
    #[serde(default)]
    pub tables: IndexMap<Sp<String>, Sp<TableRename>>,
    /// Column renames: `[[renames.columns]] table = "crm_leads", from = "owner", to = "owner_id"`.
    #[serde(default)]
    pub columns: Vec<Sp<ColumnRename>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableRename {
    /// The new name (a table declared in this project).
    pub to: Sp<String>,
    /// Why the table was renamed.
    pub reason: Sp<String>,
    /// Keep the old name alive as a `security_invoker` view over the renamed table.
    #[serde(default)]
    pub compat_view: Option<Sp<bool>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnRename {
    /// The table that holds the column (its current name).
    pub table: Sp<String>,
    /// The old column name.
    pub from: Sp<String>,
    /// The new column name.
    pub to: Sp<String>,
    /// Why the column was renamed.
    pub reason: Sp<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSql {
    /// The statements, emitted verbatim.
    pub sql: Sp<String>,
    /// Statements that undo `sql`, used by rollback files.
    #[serde(default)]
    pub rollback: Option<Sp<String>>,
    /// Objects (tables, views, functions, enums) that must exist before `sql` runs.
    #[serde(default)]
    pub depends_on: Vec<Sp<String>>,
    /// What `sql` creates, so that what reads it comes after the block.
    #[serde(default)]
    pub creates: Option<Sp<RawCreates>>,
    /// Why this SQL cannot be expressed in the language.
    pub reason: Sp<String>,
}

/// `[raw.<name>.creates]`: the names a raw block brings into the database.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCreates {
    /// Columns it adds to project tables: `"table.column"` or `"schema.table.column"`.
    #[serde(default)]
    pub columns: Vec<Sp<String>>,
    /// Tables, views, sequences, types or indexes it creates: `"name"` or `"schema.name"`.
    #[serde(default)]
    pub relations: Vec<Sp<String>>,
    /// Functions it creates: `"name"` or `"schema.name"`.
    #[serde(default)]
    pub functions: Vec<Sp<String>>,
    /// Triggers it creates: `"table.trigger"` or `"schema.table.trigger"`.
    #[serde(default)]
    pub triggers: Vec<Sp<String>>,
}
