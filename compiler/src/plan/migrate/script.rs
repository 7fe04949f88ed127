//! The statements of one direction as they are planned, and the planner that collects
//! them with the problems it finds.

use super::*;

/// SQL of one direction, before it is wrapped into a file.
#[derive(Default)]
pub(super) struct Script {
    /// Statements committed before the main transaction: PostgreSQL cannot use an
    /// enum value in the transaction that adds it.
    pub(super) pre: Vec<String>,
    /// Statements inside the transaction, each with a heading.
    pub(super) tx: Vec<(String, Vec<String>)>,
    /// Statements that cannot run in a transaction.
    pub(super) concurrent: Vec<String>,
    /// `VALIDATE CONSTRAINT` for keys and checks added `NOT VALID`: run in their own
    /// transaction after the main one, so the scan does not hold the main locks.
    pub(super) validate: Vec<String>,
    /// Data this direction loses (listed in the header).
    pub(super) losses: Vec<String>,
}

impl Script {
    pub(super) fn push(&mut self, heading: impl Into<String>, stmts: Vec<String>) {
        if !stmts.is_empty() {
            self.tx.push((heading.into(), stmts));
        }
    }
}

/// Finds an object by name. Snapshot lists are sorted by name (see
/// `Snapshot::sort`), so this is a binary search: migrations between states with
/// thousands of tables stay fast.
pub(super) fn find<'a, T>(
    items: &'a [T],
    name: &QName,
    key: impl Fn(&T) -> &QName,
) -> Option<&'a T> {
    items
        .binary_search_by(|x| key(x).cmp(name))
        .ok()
        .map(|i| &items[i])
}

pub(super) struct Planner<'a> {
    pub(super) forward: bool,
    pub(super) accepted: &'a [AcceptedLoss],
    pub(super) problems: Vec<Diagnostic>,
    pub(super) script: Script,
}

impl Planner<'_> {
    /// A data-losing change: refused going forward unless acknowledged; listed always.
    pub(super) fn loss(&mut self, change: &str, object: &str, what: String) {
        if self.forward {
            let acked = self
                .accepted
                .iter()
                .find(|a| a.change == change && a.object == object);
            match acked {
                Some(a) => self.script.losses.push(format!(
                    "{what} (acknowledged: {})",
                    comment_text(&a.reason)
                )),
                None => {
                    self.problems.push(
                        Diagnostic::error("unacknowledged-data-loss", format!("the migration would {what}"))
                            .help(format!("if this is intended, acknowledge it in the domain file:\n[[accept_data_loss]]\nchange = \"{change}\"\nobject = \"{object}\"\nreason = \"...\"")),
                    );
                }
            }
        } else {
            self.script.losses.push(what);
        }
    }
}
