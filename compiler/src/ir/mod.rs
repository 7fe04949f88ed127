//! Lowering: syntax trees to the resolved IR. Every name is resolved once here, and
//! every item keeps its place in the TOML so later phases can point back into it.

pub mod builtins;
pub mod columns;
pub mod extensions;
mod lower;
mod model;
pub mod pg_grammar;
pub mod pg_keywords;
pub mod sql;
pub mod types;
pub mod view_columns;

pub use lower::{lower, split_index_key, INDEX_METHODS, MAX_IDENT_BYTES};
pub use model::*;
