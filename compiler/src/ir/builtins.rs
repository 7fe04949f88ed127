//! PostgreSQL 15's built-in functions: every name in `pg_catalog` of `pg_proc`, with the
//! argument counts a call may pass (defaults and `VARIADIC` counted). Calls inside
//! fragments are checked against it, the project's functions and the declared external
//! ones, so a misspelt function or a wrong argument count fails at `build`, not at deploy.
//!
//! The list is `pg15_functions.txt`, generated from a real server:
//! `cargo test --test postgres -- --ignored regenerate_builtin_functions` rewrites it, and
//! `the_builtin_function_list_is_pg_proc` fails when it is stale.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

const LIST: &str = include_str!("pg15_functions.txt");

/// The argument counts one function name accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arity {
    /// Exact counts.
    pub counts: BTreeSet<usize>,
    /// With `VARIADIC`: any count from this one on.
    pub at_least: Option<usize>,
}

impl Arity {
    pub fn accepts(&self, n: usize) -> bool {
        self.counts.contains(&n) || self.at_least.is_some_and(|v| n >= v)
    }

    /// `1 or 2 arguments`, `2 or more arguments`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.counts.iter().map(|n| n.to_string()).collect();
        if let Some(v) = self.at_least {
            parts.push(format!("{v} or more"));
        }
        let last = parts.pop().unwrap_or_default();
        let text = if parts.is_empty() {
            last
        } else {
            format!("{} or {last}", parts.join(", "))
        };
        let one = self.counts.len() == 1 && self.counts.contains(&1) && self.at_least.is_none();
        format!("{text} argument{}", if one { "" } else { "s" })
    }
}

fn table() -> &'static HashMap<&'static str, Arity> {
    static TABLE: OnceLock<HashMap<&'static str, Arity>> = OnceLock::new();
    TABLE.get_or_init(|| {
        LIST.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (name, counts) = l.split_once(' ')?;
                let mut a = Arity::default();
                for tok in counts.split(',').filter(|t| !t.is_empty()) {
                    match tok.strip_suffix('+') {
                        Some(v) => a.at_least = v.parse().ok(),
                        None => {
                            a.counts.insert(tok.parse().ok()?);
                        }
                    }
                }
                Some((name, a))
            })
            .collect()
    })
}

/// The built-in function of that name.
pub fn builtin(name: &str) -> Option<&'static Arity> {
    table().get(name)
}

/// Every built-in function name, sorted (for "did you mean").
pub fn names() -> impl Iterator<Item = &'static str> {
    static SORTED: OnceLock<Vec<&'static str>> = OnceLock::new();
    SORTED
        .get_or_init(|| {
            let mut v: Vec<&'static str> = table().keys().copied().collect();
            v.sort_unstable();
            v
        })
        .iter()
        .copied()
}

/// The list's text from `pg_proc` rows: (name, least arguments a call passes (without
/// the defaults), the arguments declared, whether the last is `VARIADIC`).
pub fn render(rows: &[(String, usize, usize, bool)]) -> String {
    let mut by_name: BTreeMap<&str, Arity> = BTreeMap::new();
    for (name, lo, hi, variadic) in rows {
        let a = by_name.entry(name).or_default();
        if *variadic {
            // The VARIADIC parameter takes one argument or more (none when defaulted).
            let from = if lo < hi { *lo } else { *hi };
            a.at_least = Some(a.at_least.map_or(from, |v| v.min(from)));
            a.counts.extend(*lo..*hi);
        } else {
            a.counts.extend(*lo..=*hi);
        }
    }
    let mut out = String::from(
        "# PostgreSQL 15's built-in functions (pg_catalog in pg_proc): name, then the argument\n\
         # counts a call may pass; `n+` is n or more (VARIADIC). Generated: do not edit.\n\
         # Regenerate: cargo test --test postgres -- --ignored regenerate_builtin_functions\n",
    );
    for (name, a) in by_name {
        let mut toks: Vec<String> = a
            .counts
            .iter()
            .filter(|n| a.at_least.is_none_or(|v| **n < v))
            .map(|n| n.to_string())
            .collect();
        if let Some(v) = a.at_least {
            toks.push(format!("{v}+"));
        }
        out.push_str(&format!("{name} {}\n", toks.join(",")));
    }
    out
}

/// The query whose rows [`render`] takes.
pub const PG_PROC_QUERY: &str = "select p.proname, p.pronargs - p.pronargdefaults, p.pronargs, \
     p.provariadic <> 0 from pg_proc p join pg_namespace n on n.oid = p.pronamespace \
     where n.nspname = 'pg_catalog' order by 1, 2, 3";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_functions_and_their_arities() {
        let f = |n: &str| builtin(n).unwrap_or_else(|| panic!("{n} missing"));
        assert!(f("count").accepts(0) && f("count").accepts(1) && !f("count").accepts(2));
        assert!(f("now").accepts(0) && !f("now").accepts(1));
        assert!(f("format").accepts(1) && f("format").accepts(5));
        assert!(f("concat").accepts(1) && !f("concat").accepts(0));
        assert!(f("make_interval").accepts(0) && f("make_interval").accepts(7));
        assert!(builtin("no_such_function").is_none());
        assert_eq!(f("lower").describe(), "1 argument");
        assert_eq!(f("format").describe(), "1 or 2 or more arguments");
    }

    #[test]
    fn render_groups_overloads() {
        let rows = vec![
            ("f".to_string(), 1, 1, false),
            ("f".to_string(), 2, 3, false),
            ("g".to_string(), 1, 2, true),
        ];
        assert!(render(&rows).ends_with("f 1,2,3\ng 1+\n"));
    }
}
