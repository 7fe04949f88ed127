//! Lowering: syntax to IR, resolving every name once. Errors are collected and the
//! IR is built as far as it can be, so one typo gives one diagnostic.

mod access;
mod bodies;
mod column_types;
mod external;
mod foreign_keys;
mod fragments;
mod history;
mod indexes;
mod objects;
mod project;
mod raw_creates;
mod tables;

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use super::model::*;
use super::sql::{
    find_word, parse_fragment, span_in_value, FragmentKind, SqlError, SqlRefs, NO_PARENTHESES,
};
use super::types::{builtin, builtin_names, canonical, parse_type, RETURN_PSEUDO};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics, FileId, Loc, Sources};
use crate::source::ProjectSource;
use crate::syntax::{self, Sp};

/// PostgreSQL truncates identifiers longer than this many bytes.
pub use indexes::{split_key as split_index_key, INDEX_METHODS};

pub const MAX_IDENT_BYTES: usize = 63;

const PRIVILEGES: &[&str] = &[
    "all",
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
];
const SYSTEM_SCHEMAS: &[&str] = &["pg_catalog", "information_schema"];

/// Lowers a parsed project into the IR, reporting every problem it finds.
pub fn lower(src: &ProjectSource, sources: &Sources, diags: &mut Diagnostics) -> Ir {
    let mut l = Lowerer {
        sources,
        diags,
        ir: Ir::default(),
        relations: BTreeMap::new(),
        functions: BTreeMap::new(),
        fn_returns: BTreeMap::new(),
        fn_arity: BTreeMap::new(),
        view_columns: BTreeMap::new(),
        raw_columns: BTreeMap::new(),
        raw_relations: BTreeMap::new(),
        raw_functions: BTreeMap::new(),
        raw_triggers: BTreeMap::new(),
        table_index: BTreeMap::new(),
        fragments: std::collections::HashMap::new(),
        builtin_types: std::collections::HashMap::new(),
        renamed_tables: std::collections::BTreeSet::new(),
        fragment_scope: FragmentScope::Unchecked,
        enum_types: std::cell::RefCell::new(None),
        parsed: std::collections::HashMap::new(),
    };
    if let Some((file, p)) = &src.project {
        l.project(*file, p);
    } else {
        l.ir.project.default_schema = "public".into();
        l.ir.project.postgres = 15;
    }
    let mut domain_ids = Vec::new();
    for (file, d) in &src.domains {
        domain_ids.push(l.domain(*file, d));
    }
    for ((file, d), id) in src.domains.iter().zip(&domain_ids) {
        l.declare(*file, d, *id);
    }
    for (file, d) in &src.domains {
        l.declare_raw_creates(*file, d);
    }
    let mut pending_fks = Vec::new();
    for ((file, d), id) in src.domains.iter().zip(&domain_ids) {
        for (name, e) in &d.enums {
            l.enum_(*file, *id, name, e);
        }
        for (name, t) in &d.tables {
            if let Some((table, fks)) = l.table(*file, *id, name, t) {
                l.table_index
                    .entry(table.name.clone())
                    .or_insert(l.ir.tables.len());
                l.ir.tables.push(table);
                pending_fks.push(fks);
            }
        }
    }
    l.fragment_scope = FragmentScope::Unchecked;
    // Foreign keys need every table's columns, so they are resolved after all tables.
    for (i, fks) in pending_fks.into_iter().enumerate() {
        for fk in fks {
            l.foreign_key(i, fk);
        }
    }
    for (file, d) in &src.domains {
        l.raw_created_columns(*file, d);
    }
    for ((file, d), id) in src.domains.iter().zip(&domain_ids) {
        for (name, t) in &d.tables {
            l.table_late(*file, name, t);
        }
        l.fragment_scope = FragmentScope::Unchecked;
        for (name, v) in &d.views {
            l.view(*file, *id, name, v);
        }
        for (name, f) in &d.functions {
            l.function(*file, *id, name, f);
        }
        for (name, o) in &d.on {
            l.on_external(*file, *id, name, o);
        }
        for (name, r) in &d.raw {
            l.raw(*file, *id, name, r);
        }
        if let Some(r) = &d.renames {
            l.renames(*file, *id, r);
        }
        for a in &d.accept_data_loss {
            l.accept_loss(*file, a);
        }
    }
    l.check_rename_chains();
    l.check_relation_namespace();
    l.check_on_external_names();
    l.ir
}

struct PendingFk {
    name: String,
    columns: Vec<(String, Loc)>,
    target: (String, Loc),
    target_columns: Vec<(String, Loc)>,
    on_delete: FkAction,
    on_update: FkAction,
    deferrable: Option<Deferrable>,
    loc: Loc,
}

struct Lowerer<'a> {
    sources: &'a Sources,
    diags: &'a mut Diagnostics,
    ir: Ir,
    /// Relation and type namespace (tables, views, enums share it in PostgreSQL).
    relations: BTreeMap<QName, (ObjKind, Loc)>,
    functions: BTreeMap<QName, Loc>,
    fn_returns: BTreeMap<QName, String>,
    /// Each project function's argument counts: (without the defaulted ones, all).
    fn_arity: BTreeMap<QName, (usize, usize)>,
    /// Each view's output columns, when every one is known for certain.
    view_columns: BTreeMap<QName, BTreeSet<String>>,
    /// Columns raw blocks add to project tables: table to (column, raw block).
    raw_columns: BTreeMap<QName, Vec<(String, String)>>,
    /// Relations raw blocks create, to the block.
    raw_relations: BTreeMap<QName, String>,
    /// Functions raw blocks create, to the block.
    raw_functions: BTreeMap<QName, Vec<String>>,
    /// Triggers each raw block creates: block to (table, trigger).
    raw_triggers: BTreeMap<String, Vec<(QName, String)>>,
    /// Position of each lowered table in `ir.tables` (lookups stay O(log n) for
    /// projects with thousands of tables).
    table_index: BTreeMap<QName, usize>,
    /// Parsed SQL fragments by kind and text: the same fragment (`true`, `now()`,
    /// `owner_id = (select auth.uid())`) recurs thousands of times in large projects.
    fragments: std::collections::HashMap<(FragmentKind, String), Result<SqlRefs, SqlError>>,
    /// Built-in column types by their text: (display, canonical).
    builtin_types: std::collections::HashMap<String, (String, String)>,
    /// Old names of the table renames lowered so far (`duplicate-rename`).
    renamed_tables: std::collections::BTreeSet<QName>,
    /// What the column names of the expressions being lowered resolve against.
    fragment_scope: FragmentScope,
    /// Enum types by the names a column may use ([`Lowerer::enum_types`]), with the
    /// number of enums they were built from.
    enum_types: std::cell::RefCell<Option<EnumTypes>>,
    /// Syntax trees of fragments by text, for the column check (`None`: did not parse).
    parsed: std::collections::HashMap<
        (bool, String),
        Option<std::rc::Rc<crate::ir::columns::ParsedFragment>>,
    >,
}

type EnumTypes = (usize, std::rc::Rc<BTreeMap<String, Vec<String>>>);

/// What the column names of an expression resolve against.
#[derive(Debug, Clone, Default)]
enum FragmentScope {
    /// Not checked (a function's argument default, an expression outside a table).
    #[default]
    Unchecked,
    /// These relations (a table's own columns; `new` and `old` in a trigger's `when`).
    /// With none, the expression may read no column at all (a column default).
    /// Shared, because a table sets it again for each of its columns.
    Relations(std::rc::Rc<Vec<crate::ir::columns::ScopeRelation>>),
}

fn loc<T>(file: FileId, v: &Sp<T>) -> Loc {
    Loc::new(file, v.span.clone())
}

impl Lowerer<'_> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Checks an identifier and returns it. Names are kept exactly as written and
    /// always quoted in SQL, so any character is safe; length is what PostgreSQL
    /// would silently break (it truncates at 63 bytes).
    fn ident(&mut self, file: FileId, name: &Sp<String>, what: &str) -> String {
        let l = loc(file, name);
        if name.is_empty() {
            self.err(
                Diagnostic::error("empty-name", format!("{what} name is empty"))
                    .label(&l, "empty name")
                    .help(format!("give the {what} a name")),
            );
        } else if name.contains('\0') {
            self.err(
                Diagnostic::error(
                    "invalid-name",
                    format!("{what} name contains a NUL character"),
                )
                .label(&l, "here")
                .help("remove the NUL character"),
            );
        } else if name.len() > MAX_IDENT_BYTES {
            self.err(
                Diagnostic::error("identifier-too-long", format!("{what} name `{}` is {} bytes; PostgreSQL truncates names to {MAX_IDENT_BYTES} bytes", name.value, name.len()))
                    .label(&l, "too long")
                    .help(format!("shorten it to at most {MAX_IDENT_BYTES} bytes (two long names could otherwise collide after truncation)")),
            );
        }
        name.value.clone()
    }

    /// A derived name (constraint, index) must also fit.
    fn derived_name(&mut self, name: String, l: &Loc, what: &str, key: &str) -> String {
        if name.len() > MAX_IDENT_BYTES {
            self.err(
                Diagnostic::error("identifier-too-long", format!("the derived {what} name `{name}` is {} bytes; PostgreSQL truncates names to {MAX_IDENT_BYTES} bytes", name.len()))
                    .label(l, format!("this {what} needs a shorter name"))
                    .help(format!("set `{key} = \"...\"` to a name of at most {MAX_IDENT_BYTES} bytes")),
            );
        }
        name
    }

    fn schema_of(&mut self, file: FileId, schema: &Option<Sp<String>>) -> String {
        match schema {
            Some(s) => self.ident(file, s, "schema"),
            None => self.ir.project.default_schema.clone(),
        }
    }

    /// `"name"` or `"schema.name"` to a qualified name.
    fn qualify(&self, text: &str) -> QName {
        match text.split_once('.') {
            Some((s, n)) => QName::new(s, n),
            None => QName::new(self.ir.project.default_schema.clone(), text),
        }
    }

    fn text(&self, file: FileId) -> &str {
        &self.sources.get(file).text
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Splits on commas that are not inside parentheses (`numeric(10,2)` stays whole).
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}
