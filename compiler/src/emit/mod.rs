//! SQL text. sea-query writes the statements it models (enum types, indexes, foreign
//! keys added after the fact, drops); a small typed emitter writes the rest (tables
//! laid out one column per line for review, policies, RLS, views, functions,
//! triggers, grants, comments). Both quote identifiers the same way (see `quote`).

mod ddl;
mod files;
mod on_external;
mod pgtap;
mod quote;
mod summary;

pub use ddl::*;
pub use files::{emit_project, schema_statements, ObjectSql, Output};
pub use on_external::*;
pub use quote::*;
