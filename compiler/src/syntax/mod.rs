//! The TOML language as serde types. Every key and value keeps its span.
//! Nothing here knows about SQL.

mod domain;
pub mod escapes;
mod function;
mod project;
mod spanned;
mod table;
mod view;

pub use domain::*;
pub use function::*;
pub use project::*;
pub use spanned::Sp;
pub use table::*;
pub use view::*;

/// The JSON Schema of the project file (`"project"`) or of a domain file (`"domain"`),
/// generated from the same types the parser uses.
pub fn json_schema(kind: &str) -> String {
    let schema = if kind == "project" {
        schemars::schema_for!(ProjectFile)
    } else {
        schemars::schema_for!(DomainFile)
    };
    serde_json::to_string_pretty(&schema)
        .unwrap_or_else(|e| unreachable!("a schemars schema always serializes: {e}"))
}
