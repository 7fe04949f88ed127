//! The released migrations in the Supabase CLI's layout:
//! `supabase/migrations/<version>_<NNNN>_<name>[_part<k>].sql`, which `supabase db push`
//! (and `supabase migration up`) apply and record in `supabase_migrations.schema_migrations`.
//!
//! That tool runs each file in a transaction of its own, so an `up.sql` becomes one file per
//! part: each transaction block (new enum values, the main transaction, the validation of
//! keys added `NOT VALID`) without its `BEGIN`/`COMMIT`, its `SET LOCAL` settings written as
//! `set_config(..., true)` (which holds to the end of whatever transaction the tool opens),
//! then each `CREATE INDEX CONCURRENTLY` alone in a file, which the tool runs outside a
//! transaction. A file the project wrote before keeps its version; new files get the
//! current time (UTC, or `SOURCE_DATE_EPOCH`), one second apart, after every file already
//! in the folder, so `db push` never finds a file older than the last one it applied.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::deploy::{split, Local};
use crate::emit::quote_literal;

/// One file of the layout.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// `<NNNN>_<name>` or `<NNNN>_<name>_part<k>`: the file name after the version.
    pub stem: String,
    pub sql: String,
}

/// What a run found or did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// File names written (or, with `check`, missing).
    pub written: Vec<String>,
    /// File names already present and identical.
    pub unchanged: usize,
}

/// The files the released migrations become, in order.
pub fn files(history: &[Local]) -> Vec<File> {
    let mut out = Vec::new();
    for m in history {
        let parts = split(&m.up);
        let mut bodies: Vec<String> = parts
            .transactions
            .iter()
            .map(|t| transaction_body(t))
            .collect();
        bodies.extend(parts.steps.iter().map(|s| step_body(s)));
        let n = bodies.len();
        for (k, body) in bodies.into_iter().enumerate() {
            let stem = if n == 1 {
                m.name.clone()
            } else {
                format!("{}_part{}", m.name, k + 1)
            };
            let part = if n == 1 {
                String::new()
            } else {
                format!(", part {} of {n}", k + 1)
            };
            let header = format!(
                "-- schemac: generated/migrations/{}/up.sql{part}, for `supabase db push`.\n\
                 -- sha256 of up.sql: {}. Do not edit: `schemac supabase-export` checks it.\n",
                m.name, m.checksum
            );
            out.push(File {
                stem,
                sql: format!("{header}{body}"),
            });
        }
    }
    out
}

/// A transaction block as a file the tool wraps in its own transaction.
fn transaction_body(block: &str) -> String {
    let mut s = String::new();
    for line in block.lines() {
        let t = line.trim();
        if t == "BEGIN;" || t == "COMMIT;" {
            continue;
        }
        match set_local(t) {
            Some((name, value)) => s.push_str(&format!(
                "SELECT set_config({}, {value}, true);\n",
                quote_literal(name)
            )),
            None => {
                s.push_str(line);
                s.push('\n');
            }
        }
    }
    format!("{}\n", s.trim_matches('\n'))
}

/// `SET LOCAL name = 'value';` as (name, the quoted value).
fn set_local(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("SET LOCAL ")?.strip_suffix(';')?;
    let (name, value) = rest.split_once(" = ")?;
    let value = value.trim();
    let quoted = value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'');
    (name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') && quoted).then_some((name, value))
}

fn step_body(step: &str) -> String {
    format!(
        "-- CREATE INDEX CONCURRENTLY cannot run in a transaction: the Supabase CLI runs it on\n\
         -- its own. If the build fails, PostgreSQL leaves an invalid index: drop it\n\
         -- (DROP INDEX CONCURRENTLY <name>) before `supabase db push` tries this file again.\n\
         {}\n",
        step.trim_end()
    )
}

/// Writes the files missing from `dir` (or, with `check`, only lists them). A file of the
/// project already there must be identical: a released migration never changes.
pub fn export(
    history: &[Local],
    dir: &Path,
    now_utc_seconds: u64,
    check: bool,
) -> Result<Outcome, String> {
    let existing = existing(dir)?;
    let mut next = existing
        .keys()
        .map(|v| seconds_of(v).map_or(0, |s| s + 1))
        .max()
        .unwrap_or(0)
        .max(now_utc_seconds);
    let by_stem: BTreeMap<&str, (&String, &PathBuf)> = existing
        .iter()
        .filter(|(_, (stem, _))| !stem.is_empty())
        .map(|(v, (stem, path))| (stem.as_str(), (v, path)))
        .collect();
    let mut outcome = Outcome::default();
    let mut to_write = Vec::new();
    for f in files(history) {
        if let Some((_, path)) = by_stem.get(f.stem.as_str()) {
            let on_disk = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if on_disk != f.sql {
                return Err(format!(
                    "{} differs from released migration {}: a released migration never changes; \
                     restore the file (delete it and run this again) or release a new migration",
                    path.display(),
                    f.stem
                ));
            }
            outcome.unchanged += 1;
            continue;
        }
        let name = format!("{}_{}.sql", version_of(next), f.stem);
        next += 1;
        outcome.written.push(name.clone());
        to_write.push((name, f.sql));
    }
    if check {
        return Ok(outcome);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, sql) in to_write {
        let path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, sql)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(outcome)
}

/// The project's files already in `dir`: version → (stem, path). Files of other origins
/// (`<version>_<anything>.sql` whose stem does not start with a migration number) only
/// count for the next version.
fn existing(dir: &Path) -> Result<BTreeMap<String, (String, PathBuf)>, String> {
    let mut out = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        let Some((version, rest)) = stem.split_once('_') else {
            continue;
        };
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let ours = rest.len() > 5
            && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && rest.as_bytes()[4] == b'_';
        let stem = if ours {
            rest.to_string()
        } else {
            String::new()
        };
        if out
            .insert(version.to_string(), (stem, entry.path()))
            .is_some()
        {
            return Err(format!(
                "{}: two files have version {version}; the Supabase CLI needs each version once",
                dir.display()
            ));
        }
    }
    Ok(out)
}

/// A `YYYYMMDDHHMMSS` version as seconds since 1970 (UTC); `None` for other numbers.
fn seconds_of(version: &str) -> Option<u64> {
    if version.len() != 14 {
        return None;
    }
    let n = |r: std::ops::Range<usize>| version[r].parse::<u64>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, s) = (n(8..10)?, n(10..12)?, n(12..14)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60 + s)
}

/// Seconds since 1970 (UTC) as a `YYYYMMDDHHMMSS` version.
pub fn version_of(seconds: u64) -> String {
    let (y, mo, d) = civil_from_days(seconds / 86_400);
    let t = seconds % 86_400;
    format!(
        "{y:04}{mo:02}{d:02}{:02}{:02}{:02}",
        t / 3_600,
        t / 60 % 60,
        t % 60
    )
}

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (from 1970 on).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

/// The date of a day counted from 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

/// Now, in seconds since 1970 (UTC), or `SOURCE_DATE_EPOCH` when set (reproducible runs).
pub fn now_seconds() -> u64 {
    if let Some(s) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return s;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_utc_timestamps_and_round_trip() {
        assert_eq!(version_of(0), "19700101000000");
        assert_eq!(version_of(951_782_400), "20000229000000");
        assert_eq!(version_of(1_796_601_599), "20261206235959");
        for s in [0, 59, 86_399, 951_782_400, 1_796_601_599, 4_102_444_800] {
            assert_eq!(seconds_of(&version_of(s)), Some(s));
        }
        assert_eq!(seconds_of("20261301000000"), None);
        assert_eq!(seconds_of("0001"), None);
    }

    #[test]
    fn an_up_sql_becomes_one_file_per_part() {
        let up = "-- header\nBEGIN;\nSET LOCAL lock_timeout = '5s';\nALTER TYPE a ADD VALUE 'x';\nCOMMIT;\n\nBEGIN;\nSET LOCAL statement_timeout = '60s';\nCREATE TABLE t (id int);\nCOMMIT;\n\n-- ====\n-- NON-TRANSACTIONAL PART: run after\n-- ====\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY \"i\" ON \"public\".\"t\" (\"id\");\n";
        let m = Local {
            name: "0002_x".into(),
            checksum: "ab".into(),
            up: up.into(),
        };
        let f = files(&[m]);
        let stems: Vec<&str> = f.iter().map(|f| f.stem.as_str()).collect();
        assert_eq!(stems, ["0002_x_part1", "0002_x_part2", "0002_x_part3"]);
        assert!(f[0]
            .sql
            .contains("SELECT set_config('lock_timeout', '5s', true);"));
        assert!(!f[1].sql.contains("BEGIN;") && !f[1].sql.contains("COMMIT;"));
        assert!(f[1].sql.contains("CREATE TABLE t (id int);"));
        assert!(f[2].sql.contains("CREATE INDEX CONCURRENTLY"));
        assert!(!f[2].sql.contains("SET "));
    }
}
