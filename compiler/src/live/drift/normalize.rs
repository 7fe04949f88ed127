//! Expressions and queries compared after PostgreSQL has printed both sides. Each side is
//! made a temporary view (`SELECT (<expression>) AS e FROM <table>`, or the view's own
//! query), inside a transaction that is always rolled back, and printed again with
//! `pg_get_viewdef`: the same meaning gives the same text, whoever wrote it.
//!
//! Printing is not a fixed point after one round: `status in ('a')` on a varchar column is
//! stored as `(status)::text = ANY ((ARRAY['a'::character varying])::text[])`, and that text
//! parsed again prints with other casts. The database's text has been through one round
//! already (when the object was created), so the schema's text is taken through two, and
//! the database's through one more: both have then been parsed and printed twice. Nothing is
//! left in the database, and only temporary objects are created, so this needs no more
//! than the TEMP privilege every role has by default.
//!
//! Pairs go in batches, one round trip each, so the locks a batch takes stay far below
//! `max_locks_per_transaction`; every pair has a subtransaction of its own, so one text the
//! server refuses (a column the database lacks) does not stop the others.

use super::Query;

/// One comparison: the statement each side is printed through.
pub(super) struct Pair {
    pub database: String,
    pub schema: String,
}

/// What PostgreSQL made of a pair.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Same,
    Different,
    /// The schema's side does not apply to the database (its error).
    SchemaRefused(String),
}

/// Pairs per transaction at most: three views each, a few locks per view.
const BATCH: usize = 100;
/// Bytes of SQL text per round trip at most (one pair may exceed it alone), so that long
/// view queries make smaller batches.
const BATCH_BYTES: usize = 60_000;

/// `pairs` cut into batches of at most [`BATCH`] pairs and about [`BATCH_BYTES`] bytes.
fn batches(pairs: &[Pair]) -> Vec<&[Pair]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, p) in pairs.iter().enumerate() {
        let size = p.database.len() + p.schema.len();
        if i > start && (i - start == BATCH || bytes + size > BATCH_BYTES) {
            out.push(&pairs[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < pairs.len() {
        out.push(&pairs[start..]);
    }
    out
}

pub(super) fn compare(query: &mut Query, pairs: &[Pair]) -> Result<Vec<Verdict>, String> {
    let mut out = Vec::with_capacity(pairs.len());
    for chunk in batches(pairs) {
        let sql = batch_sql(chunk);
        let rows = match query(&sql) {
            Ok(rows) => rows,
            Err(e) => {
                // The transaction may be left open in an aborted state.
                let _ = query("ROLLBACK");
                return Err(format!(
                    "cannot compare expressions through PostgreSQL (temporary views in a rolled-back transaction): {e}"
                ));
            }
        };
        let mut by_index = vec![None; chunk.len()];
        for r in rows {
            if let Some(i) = r.first().and_then(|i| i.parse::<usize>().ok()) {
                if (1..=chunk.len()).contains(&i) && r.len() >= 4 {
                    by_index[i - 1] = Some((r[1].clone(), r[2].clone(), r[3].clone()));
                }
            }
        }
        for v in by_index {
            let Some((database, schema, error)) = v else {
                return Err(
                    "the expression comparison returned fewer rows than it was given".into(),
                );
            };
            out.push(if !error.is_empty() {
                Verdict::SchemaRefused(error)
            } else if database == schema {
                Verdict::Same
            } else {
                Verdict::Different
            });
        }
    }
    Ok(out)
}

/// One round trip: a temporary table of results, a DO block making and printing the
/// views, the results, and the rollback.
fn batch_sql(chunk: &[Pair]) -> String {
    let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let items = chunk
        .iter()
        .flat_map(|p| [literal(&p.database), literal(&p.schema)])
        .collect::<Vec<_>>()
        .join(",\n");
    let mut tag = "schemac_norm".to_string();
    while items.contains(&format!("${tag}$")) {
        tag.push('x');
    }
    format!(
        "BEGIN;\n\
         SET LOCAL standard_conforming_strings = on;\n\
         CREATE TEMP TABLE schemac_normalized (i int, db text, proj text, err text);\n\
         DO ${tag}$\n\
         DECLARE q text[] := ARRAY[{items}]::text[];\n\
         d text; p text;\n\
         BEGIN\n\
         FOR i IN 1 .. coalesce(array_length(q, 1), 0) / 2 LOOP\n\
           d := NULL; p := NULL;\n\
           BEGIN\n\
             EXECUTE format('CREATE TEMP VIEW schemac_normalized_d%s AS %s', i, q[2 * i - 1]);\n\
             d := pg_get_viewdef(format('pg_temp.schemac_normalized_d%s', i)::regclass);\n\
           EXCEPTION WHEN OTHERS THEN d := 'the database''s text failed: ' || SQLERRM;\n\
           END;\n\
           BEGIN\n\
             EXECUTE format('CREATE TEMP VIEW schemac_normalized_p%s AS %s', i, q[2 * i]);\n\
             p := pg_get_viewdef(format('pg_temp.schemac_normalized_p%s', i)::regclass);\n\
             EXECUTE format('CREATE TEMP VIEW schemac_normalized_r%s AS %s', i, regexp_replace(p, ';\\s*$', ''));\n\
             p := pg_get_viewdef(format('pg_temp.schemac_normalized_r%s', i)::regclass);\n\
             INSERT INTO schemac_normalized VALUES (i, d, p, '');\n\
           EXCEPTION WHEN OTHERS THEN INSERT INTO schemac_normalized VALUES (i, d, '', SQLERRM);\n\
           END;\n\
         END LOOP;\n\
         END\n\
         ${tag}$;\n\
         SELECT i, coalesce(db, ''), coalesce(proj, ''), coalesce(err, '') FROM schemac_normalized ORDER BY i;\n\
         ROLLBACK;"
    )
}

/// `SELECT (<expr>) AS e FROM <table>`: an expression over a table's row (a policy's
/// condition, a check, an index predicate).
pub(super) fn over_table(expr: &str, table: &str) -> String {
    format!("SELECT ({expr}) AS e FROM {table}")
}

/// `SELECT (<expr>)::<type> AS e`: a default, in the type of its column.
pub(super) fn as_type(expr: &str, ty: &str) -> String {
    format!("SELECT ({expr})::{ty} AS e")
}

#[cfg(test)]
mod tests {
    use super::{batches, Pair, BATCH};

    #[test]
    fn batches_are_bounded_by_count_and_size() {
        let pair = |n: usize| Pair {
            database: "x".repeat(n),
            schema: String::new(),
        };
        let many: Vec<Pair> = (0..250).map(|_| pair(10)).collect();
        let sizes: Vec<usize> = batches(&many).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [BATCH, BATCH, 50]);
        let long: Vec<Pair> = (0..5).map(|_| pair(40_000)).collect();
        let sizes: Vec<usize> = batches(&long).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [1, 1, 1, 1, 1]);
        assert!(batches(&[]).is_empty());
    }
}
