//! Tables: columns, constraints, indexes, policies, grants, triggers.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::Sp;

/// `[tables.<name>]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// What the table holds; emitted as `COMMENT ON TABLE`.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// Schema of the table (default: the project's default schema).
    #[serde(default)]
    pub schema: Option<Sp<String>>,
    /// Row-level security; on unless set to `false` with `rls_reason`.
    #[serde(default)]
    pub rls: Option<Sp<bool>>,
    /// Why the table has no row-level security (required when `rls = false`).
    #[serde(default)]
    pub rls_reason: Option<Sp<String>>,
    /// `FORCE ROW LEVEL SECURITY`: the table's owner is held to the policies too.
    #[serde(default)]
    pub force_rls: Option<Sp<bool>>,
    /// The table is reached only by `service_role` (no policy for other roles is expected).
    #[serde(default)]
    pub service_role_only: Option<Sp<bool>>,
    /// The table holds secrets (tokens, keys, MFA secrets): a policy that lets a role
    /// read every row is an error (`always-true-policy`).
    #[serde(default)]
    pub sensitive: Option<Sp<bool>>,
    /// Columns in table order: `name = { type = "uuid", ... }`.
    pub columns: IndexMap<Sp<String>, Sp<Column>>,
    /// Composite primary key (for a single column use `primary_key = true` on it).
    #[serde(default)]
    pub primary_key: Option<Sp<PrimaryKey>>,
    /// Unique constraints over one or more columns.
    #[serde(default)]
    pub unique: Vec<Sp<UniqueConstraint>>,
    /// Named table-level check constraints: `[tables.t.checks.t_amount_positive] expression = "amount > 0"`.
    #[serde(default)]
    pub checks: IndexMap<Sp<String>, Sp<CheckConstraint>>,
    /// Foreign keys over one or more columns.
    #[serde(default)]
    pub foreign_keys: Vec<Sp<ForeignKey>>,
    /// Indexes.
    #[serde(default)]
    pub indexes: Vec<Sp<Index>>,
    /// Row-level-security policies, keyed by name.
    #[serde(default)]
    pub policies: IndexMap<Sp<String>, Sp<Policy>>,
    /// Privileges granted per role: `authenticated = ["select", "insert"]`.
    #[serde(default)]
    pub grants: IndexMap<Sp<String>, Vec<Sp<String>>>,
    /// Privileges revoked per role: `anon = ["all"]`.
    #[serde(default)]
    pub revokes: IndexMap<Sp<String>, Vec<Sp<String>>>,
    /// Triggers on this table, keyed by name.
    #[serde(default)]
    pub triggers: IndexMap<Sp<String>, Sp<Trigger>>,
    /// Lint exemptions: rule name to the reason the rule does not apply.
    #[serde(default)]
    pub allow: IndexMap<Sp<String>, Sp<String>>,
}

/// A column: `name = { type = "text", not_null = true }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// PostgreSQL type (`uuid`, `text`, `varchar(255)`, `numeric(10,2)`, `text[]`) or a project enum.
    #[serde(rename = "type")]
    pub ty: Sp<String>,
    /// `NOT NULL` (implied by `primary_key`).
    #[serde(default)]
    pub not_null: Option<Sp<bool>>,
    /// Single-column primary key.
    #[serde(default)]
    pub primary_key: Option<Sp<bool>>,
    /// Single-column unique constraint.
    #[serde(default)]
    pub unique: Option<Sp<bool>>,
    /// Default expression (SQL): `"now()"`, `"'pending'"`, `"'{}'::jsonb"`.
    #[serde(default)]
    pub default: Option<Sp<String>>,
    /// Stored generated column: `GENERATED ALWAYS AS (<expression>) STORED`.
    #[serde(default)]
    pub generated: Option<Sp<String>>,
    /// Identity column: `"always"` or `"by_default"`.
    #[serde(default)]
    pub identity: Option<Sp<String>>,
    /// Column check (SQL boolean expression).
    #[serde(default)]
    pub check: Option<Sp<String>>,
    /// Name of the column check (default `<table>_<column>_check`).
    #[serde(default)]
    pub check_name: Option<Sp<String>>,
    /// Foreign key: `"table.column"` (or `"schema.table.column"`).
    #[serde(default)]
    pub references: Option<Sp<String>>,
    /// `ON DELETE` action: `cascade`, `restrict`, `set_null`, `set_default`, `no_action`.
    #[serde(default)]
    pub on_delete: Option<Sp<String>>,
    /// `ON UPDATE` action.
    #[serde(default)]
    pub on_update: Option<Sp<String>>,
    /// Deferrable foreign key: `"immediate"` or `"deferred"` (initially).
    #[serde(default)]
    pub deferrable: Option<Sp<String>>,
    /// Name of the foreign key (default `<table>_<column>_fkey`).
    #[serde(default)]
    pub fk_name: Option<Sp<String>>,
    /// `COMMENT ON COLUMN`.
    #[serde(default)]
    pub comment: Option<Sp<String>>,
    /// How a migration converts existing values when `type` changes:
    /// `ALTER COLUMN ... TYPE ... USING <expression>` (e.g. `"amount::numeric(12,2)"`).
    #[serde(default)]
    pub using: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrimaryKey {
    pub columns: Vec<Sp<String>>,
    /// Constraint name (default `<table>_pkey`).
    #[serde(default)]
    pub name: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UniqueConstraint {
    pub columns: Vec<Sp<String>>,
    /// Constraint name (default `<table>_<columns>_key`).
    #[serde(default)]
    pub name: Option<Sp<String>>,
    /// `NULLS NOT DISTINCT` (PostgreSQL 15).
    #[serde(default)]
    pub nulls_not_distinct: Option<Sp<bool>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckConstraint {
    /// Boolean SQL expression.
    pub expression: Sp<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    /// Columns of this table.
    pub columns: Vec<Sp<String>>,
    /// Referenced table (`"table"` or `"schema.table"`).
    pub references: Sp<String>,
    /// Referenced columns (same count and types as `columns`).
    pub referenced_columns: Vec<Sp<String>>,
    #[serde(default)]
    pub on_delete: Option<Sp<String>>,
    #[serde(default)]
    pub on_update: Option<Sp<String>>,
    /// `"immediate"` or `"deferred"` (initially).
    #[serde(default)]
    pub deferrable: Option<Sp<String>>,
    /// Constraint name (default `<table>_<columns>_fkey`).
    #[serde(default)]
    pub name: Option<Sp<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Indexed columns, in order. A column may carry what PostgreSQL allows after it:
    /// a collation, an operator class (with parameters), the order and where NULLs sort:
    /// `"created_at desc nulls last"`, `"title gin_trgm_ops"`, `"embedding vector_cosine_ops"`.
    #[serde(default)]
    pub columns: Vec<Sp<String>>,
    /// Columns stored in the index without being keys (`INCLUDE`).
    #[serde(default)]
    pub include: Vec<Sp<String>>,
    /// Storage parameters of the index (`WITH`): `{ m = 16, ef_construction = 64 }`,
    /// `{ fillfactor = 90 }`, `{ fastupdate = false }`.
    #[serde(default, rename = "with")]
    pub parameters: IndexMap<Sp<String>, Sp<IndexParameter>>,
    /// Indexed expressions (SQL), after the columns: `["to_tsvector('english', title)"]`.
    #[serde(default)]
    pub expressions: Vec<Sp<String>>,
    /// Index name (default `idx_<table>_<columns>`).
    #[serde(default)]
    pub name: Option<Sp<String>>,
    #[serde(default)]
    pub unique: Option<Sp<bool>>,
    /// `btree` (default), `gin`, `gist`, `hash`, `brin`, `spgist`, or an extension's
    /// (`hnsw`, `ivfflat`).
    #[serde(default)]
    pub method: Option<Sp<String>>,
    /// Partial index predicate (SQL).
    #[serde(rename = "where", default)]
    pub predicate: Option<Sp<String>>,
}

/// A storage parameter's value: a number, a boolean or a word.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IndexParameter {
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Text(String),
}

/// `[tables.<table>.policies.<name>]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// `all` (default), `select`, `insert`, `update`, `delete`.
    #[serde(default)]
    pub command: Option<Sp<String>>,
    /// Roles the policy applies to (default `public`).
    #[serde(default)]
    pub roles: Vec<Sp<String>>,
    /// `false` makes the policy restrictive (default permissive).
    #[serde(default)]
    pub permissive: Option<Sp<bool>>,
    /// `USING` expression: which existing rows are visible.
    #[serde(default)]
    pub using: Option<Sp<String>>,
    /// `WITH CHECK` expression: which new rows are allowed.
    #[serde(default)]
    pub with_check: Option<Sp<String>>,
    /// Why the policy exists (emitted as a comment on the policy).
    #[serde(default)]
    pub comment: Option<Sp<String>>,
}

/// `[tables.<table>.triggers.<name>]`
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// `before` or `after`.
    pub timing: Sp<String>,
    /// `insert`, `update`, `delete`, `truncate`.
    pub events: Vec<Sp<String>>,
    /// `row` (default) or `statement`.
    #[serde(default)]
    pub for_each: Option<Sp<String>>,
    /// Trigger function (a project function returning `trigger`).
    pub function: Sp<String>,
    /// Optional `WHEN` condition (SQL).
    #[serde(rename = "when", default)]
    pub condition: Option<Sp<String>>,
}

/// `[on."<schema>.<table>"]`: objects this domain puts on a table the project does not
/// own (declared under `[external.tables]`), such as a trigger on `auth.users`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnExternal {
    /// Indexes on the external table.
    #[serde(default)]
    pub indexes: Vec<Sp<Index>>,
    /// Row-level-security policies, keyed by name. schemac does not change the table's RLS.
    #[serde(default)]
    pub policies: IndexMap<Sp<String>, Sp<Policy>>,
    /// Privileges granted per role.
    #[serde(default)]
    pub grants: IndexMap<Sp<String>, Vec<Sp<String>>>,
    /// Privileges revoked per role.
    #[serde(default)]
    pub revokes: IndexMap<Sp<String>, Vec<Sp<String>>>,
    /// Triggers, keyed by name.
    #[serde(default)]
    pub triggers: IndexMap<Sp<String>, Sp<Trigger>>,
    /// Lint exemptions: rule name to the reason the rule does not apply.
    #[serde(default)]
    pub allow: IndexMap<Sp<String>, Sp<String>>,
}
