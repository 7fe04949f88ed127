//! Planning: the dependency graph of every object and the order to create them in.

mod graph;
pub mod migrate;
pub mod snapshot;

pub use graph::{describe, order_by_dependencies, Node, Plan};
