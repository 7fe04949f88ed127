//! A synthetic project generator for benchmarks: deterministic from a seed, `n`
//! tables over `n / 100` domains (at least one), about ten columns each, foreign keys
//! to earlier tables on about 20% of columns, one index, two policies and grants per table,
//! views over 5% of tables. It writes an ordinary project directory.

use std::fmt::Write;
use std::path::Path;

/// A small deterministic generator (64-bit LCG); no dependency needed for this. The
/// fuzz test uses it too.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const TYPES: [&str; 6] = [
    "text",
    "integer",
    "boolean",
    "timestamptz",
    "jsonb",
    "numeric(12,2)",
];

fn domain_of(i: usize, domains: usize) -> usize {
    i % domains
}

fn table_name(i: usize, domains: usize) -> String {
    format!("d{}_items_{i:05}s", domain_of(i, domains))
}

/// Writes the project; with `renamed`, a tenth of the tables carry a new name and a
/// declared rename from the old one (the second state of the two-migration history).
pub fn write_project(dir: &Path, n: usize, seed: u64, renamed: bool) -> std::io::Result<()> {
    let domains = (n / 100).max(1);
    let mut rng = Lcg(seed);
    std::fs::create_dir_all(dir.join("domains"))?;
    std::fs::write(
        dir.join("schemac.toml"),
        "[project]\nname = \"synthetic\"\npostgres = 15\n\n[roles.anon]\n[roles.authenticated]\n[roles.service_role]\n\n[external]\nschemas = [\"auth\"]\nfunctions = [\"auth.uid\"]\n\n[naming]\nsingular_words = [\"status\"]\n",
    )?;
    let name_of = |i: usize| -> String {
        let base = table_name(i, domains);
        if renamed && i.is_multiple_of(10) {
            format!("{base}_v2s").replace("s_v2s", "_v2s")
        } else {
            base
        }
    };
    let mut files: Vec<String> = (0..domains)
        .map(|d| format!("[domain]\nname = \"d{d}\"\nprefix = \"d{d}_\"\n\n"))
        .collect();
    for i in 0..n {
        let d = domain_of(i, domains);
        let t = name_of(i);
        let f = &mut files[d];
        let _ = writeln!(f, "[tables.{t}.columns]");
        let _ = writeln!(f, "id = {{ type = \"bigint\", primary_key = true }}");
        let _ = writeln!(f, "owner_id = {{ type = \"uuid\", not_null = true }}");
        let mut fk_cols = Vec::new();
        for c in 0..8 {
            // Foreign keys only to earlier tables of the same domain keep domains acyclic.
            if i >= domains && rng.below(100) < 20 {
                let target = (rng.below((i / domains) as u64) as usize) * domains + d;
                let _ = writeln!(
                    f,
                    "ref_{c} = {{ type = \"bigint\", references = \"{}.id\" }}",
                    name_of(target)
                );
                fk_cols.push(format!("ref_{c}"));
            } else {
                let ty = TYPES[rng.below(TYPES.len() as u64) as usize];
                let _ = writeln!(f, "col_{c} = {{ type = \"{ty}\" }}");
            }
        }
        let _ = writeln!(f, "\n[[tables.{t}.indexes]]\ncolumns = [\"owner_id\"]");
        for c in &fk_cols {
            let _ = writeln!(f, "\n[[tables.{t}.indexes]]\ncolumns = [\"{c}\"]");
        }
        let _ = writeln!(f, "\n[tables.{t}.policies.{t}_owner]\nroles = [\"authenticated\"]\nusing = \"owner_id = (select auth.uid())\"\nwith_check = \"owner_id = (select auth.uid())\"");
        let _ = writeln!(f, "\n[tables.{t}.policies.{t}_service]\nroles = [\"service_role\"]\nusing = \"true\"\nwith_check = \"true\"\n");
        let _ = writeln!(f, "[tables.{t}.grants]\nauthenticated = [\"select\", \"insert\", \"update\", \"delete\"]\nservice_role = [\"all\"]\n");
        if i.is_multiple_of(20) {
            let _ = writeln!(f, "[views.{t}_view]\nquery = \"select id, owner_id from {t}\"\nsecurity_invoker = true\n");
        }
        if renamed && i.is_multiple_of(10) {
            let _ = writeln!(
                f,
                "[renames.tables.{}]\nto = \"{t}\"\nreason = \"synthetic rename\"\n",
                table_name(i, domains)
            );
        }
    }
    for (d, text) in files.iter().enumerate() {
        std::fs::write(dir.join("domains").join(format!("d{d}.toml")), text)?;
    }
    Ok(())
}
