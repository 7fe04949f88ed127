//! Differential test of the fragment parser against PostgreSQL's own grammar: thousands of
//! generated expressions, half of them mutated (a token dropped, doubled or inserted), are
//! given to the compiler's parser and to a real PostgreSQL, and both must accept or refuse
//! each one alike. PostgreSQL "accepts" a fragment when `SELECT (<fragment>) FROM g`
//! raises no syntax error (a type or name error is a different question, which
//! `schemac verify` asks) and no `)` of the fragment closes the parenthesis around it.

mod support;

use schemac::ir::sql::{parse_fragment, FragmentKind};
use support::pg::Server;

/// A small deterministic generator (xorshift), so a failure is reproducible by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const COLUMNS: &[&str] = &[
    "id",
    "n",
    "title",
    "created_at",
    "tags",
    "data",
    "flag",
    "g.n",
];
const LITERALS: &[&str] = &[
    "1",
    "42",
    "2.5",
    "'x'",
    "'a''b'",
    "true",
    "null",
    "'2024-01-01'::date",
    "array[1, 2]",
    "interval '1 day'",
    "E'\\n'",
    "$$dollar$$",
    "$tag$x$tag$",
];
const COMPARE: &[&str] = &["=", "<>", "<", ">", "<=", ">=", "!="];
const ARITH: &[&str] = &["+", "-", "*", "/", "%", "||"];
const FUNCTIONS: &[(&str, usize)] = &[
    ("lower", 1),
    ("length", 1),
    ("coalesce", 2),
    ("nullif", 2),
    ("greatest", 3),
    ("now", 0),
    ("count", 1),
    ("jsonb_typeof", 1),
    ("abs", 1),
    ("left", 2),
];
/// What a mutation may insert: operators, keywords and punctuation that stay inside the
/// fragment (no `;`, no comment starts).
const NOISE: &[&str] = &[
    "=", "(", ")", ",", "and", "or", "not", "select", "from", "::", "in", "is", "null", "'",
    "then", "end", "case", "when", "else", "between", "like", "any", "all", "exists", ".", "[",
    "]", "+", "-", "*", "as", "order", "by", "user", "table", "where", "distinct", "array", "$1",
    "$1a$", "over", "filter", "within", "group", "collate", "\"C\"", "escape",
];

fn atom(r: &mut Rng) -> String {
    if r.below(2) == 0 {
        r.pick(COLUMNS).to_string()
    } else {
        r.pick(LITERALS).to_string()
    }
}

fn expr(r: &mut Rng, depth: usize) -> String {
    if depth == 0 {
        return atom(r);
    }
    let d = depth - 1;
    match r.below(16) {
        0 | 1 => atom(r),
        2 => format!("{} {} {}", expr(r, d), r.pick(COMPARE), expr(r, d)),
        3 => format!("{} {} {}", expr(r, d), r.pick(ARITH), expr(r, d)),
        4 => format!("{} {} {}", expr(r, d), r.pick(&["and", "or"]), expr(r, d)),
        5 => format!("not {}", expr(r, d)),
        6 => format!("({})", expr(r, d)),
        7 => {
            let (f, n) = FUNCTIONS[r.below(FUNCTIONS.len())];
            let args: Vec<String> = (0..n).map(|_| expr(r, d)).collect();
            format!("{f}({})", args.join(", "))
        }
        8 => format!(
            "{} is {}null",
            expr(r, d),
            if r.below(2) == 0 { "not " } else { "" }
        ),
        9 => format!("{} between {} and {}", atom(r), atom(r), atom(r)),
        10 => format!("{} in ({}, {})", atom(r), atom(r), atom(r)),
        11 => format!(
            "case when {} then {} else {} end",
            expr(r, d),
            atom(r),
            atom(r)
        ),
        12 => format!(
            "{}::{}",
            atom(r),
            r.pick(&["text", "int", "numeric(5,2)", "jsonb", "text[]"])
        ),
        13 => format!("exists (select 1 from g where {})", expr(r, d)),
        14 => format!("{} like 'a%'", atom(r)),
        _ => format!("data ->> {}", r.pick(&["'k'", "0"])),
    }
}

/// A fragment: generated, then (half the time) mutated.
fn fragment(r: &mut Rng) -> String {
    let e = expr(r, 3);
    if r.below(2) == 0 {
        return e;
    }
    let mut toks: Vec<String> = e.split(' ').map(str::to_string).collect();
    for _ in 0..=r.below(2) {
        let i = r.below(toks.len() + 1);
        match r.below(3) {
            0 if !toks.is_empty() => {
                toks.remove(i.min(toks.len() - 1));
            }
            1 if !toks.is_empty() => {
                let t = toks[i.min(toks.len() - 1)].clone();
                toks.insert(i.min(toks.len() - 1), t);
            }
            _ => toks.insert(i, r.pick(NOISE).to_string()),
        }
    }
    toks.join(" ")
}

/// Whether the fragment is not one expression once put in parentheses: a `)` of its own
/// would close them, or a comma outside any parenthesis would make a row of two values.
fn not_one_expression(f: &str) -> bool {
    let mut depth = 0i32;
    let mut quoted: Option<char> = None;
    let first = f
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if ["select", "values", "with", "table"].contains(&first.as_str()) {
        // A query, which the parentheses would make a subquery.
        return true;
    }
    for c in f.chars() {
        match (quoted, c) {
            (Some(q), c) if c == q => quoted = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quoted = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            (None, ',') if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// The classes where the compiler refuses a fragment that PostgreSQL's grammar accepts,
/// because the general-purpose parser reads a keyword or an operator as syntax where
/// PostgreSQL reads a name. All but the last fail in PostgreSQL too, once it looks the
/// name up (no such operator, type or function); the last is a keyword used as a name,
/// which the compiler's message says to quote.
fn stricter(f: &str, prefix_operators: &[String]) -> Option<&'static str> {
    let spaced = f
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace(',', " , ")
        .replace("::", " :: ");
    let toks: Vec<&str> = spaced.split_whitespace().collect();
    let is_operator = |t: &str| !t.is_empty() && t.chars().all(|c| "+-*/<>=~!@#%^&|`?".contains(c));
    let is_string = |t: &str| t.starts_with(['\'', '$']) || t.starts_with("E'");
    // Keywords PostgreSQL also takes as a function or type name (category T).
    let type_function = [
        "like", "ilike", "similar", "is", "isnull", "notnull", "left", "right",
    ];
    // Where an operand is expected: at the start, after an operator, `(`, `,` or a keyword.
    let keywords = [
        "and", "or", "not", "like", "where", "when", "then", "else", "select", "in", "between",
        "is", "by", "case", "all", "any", "distinct", "as", "from", "exists", "filter", "over",
    ];
    for (i, t) in toks.iter().enumerate() {
        let prev = if i == 0 { "(" } else { toks[i - 1] };
        let next = toks.get(i + 1).copied().unwrap_or("");
        let operand_expected =
            is_operator(prev) || prev == "(" || prev == "," || keywords.contains(&prev);
        if operand_expected && is_operator(t) && !prefix_operators.iter().any(|p| p == t) {
            return Some("an operator used as a prefix operator that PostgreSQL does not have (operator does not exist)");
        }
        if (operand_expected || prev == "::") && type_function.contains(t) {
            if is_string(next) || prev == "::" {
                return Some("a keyword PostgreSQL reads as a type name: a literal or cast of a type that does not exist");
            }
            if next == "(" {
                return Some("a keyword PostgreSQL reads as a function name: a call of a function that does not exist");
            }
        }
        if *t == ")" && is_string(next) {
            // `name(...) 'text'` is a typed literal with modifiers to PostgreSQL.
            return Some("a call followed by a string, which PostgreSQL reads as a literal of a type that does not exist");
        }
        if prev == "::" && next == "." {
            return Some(
                "a cast to a qualified type name, `::schema.type`, of a type that does not exist",
            );
        }
    }
    if toks.windows(3).any(|w| w == ["(", "select", "from"]) {
        return Some("a subquery with no column used as a value (PostgreSQL refuses it once the rest resolves: subquery must return only one column)");
    }
    let keyword_name = toks.windows(2).any(|w| w == ["from", "user"])
        || toks.windows(3).any(|w| {
            // A keyword as a bare label at the end of a select list.
            w[2] == "from" && w[0] != "(" && NOISE.contains(&w[1]) && !is_operator(w[1])
        })
        || toks.iter().enumerate().any(|(i, t)| {
            let next = toks.get(i + 1).copied().unwrap_or("");
            (*t == "exists" && next != "(") || (*t == "interval" && !is_string(next))
        });
    keyword_name.then_some(
        "a keyword PostgreSQL also takes as a name (`exists` or `interval` as a column, a bare select label, `from user`): the message says to quote it",
    )
}

#[test]
fn the_fragment_parser_accepts_and_refuses_what_postgresql_does() {
    let db = Server::get().database("grammar");
    db.exec("create table g (id bigint, n int, title text, created_at timestamptz, tags text[], data jsonb, flag boolean);")
        .unwrap();
    let target = schemac::live::Target::parse(&db.url(), None).unwrap();
    let mut client = schemac::live::connect(&target).unwrap();

    let prefix_operators: Vec<String> = Server::get()
        .rows(
            &db.name,
            "select distinct oprname from pg_operator where oprleft = 0",
        )
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let mut known: std::collections::BTreeMap<&str, usize> = Default::default();
    // Another seed or size: SCHEMAC_GRAMMAR_SEED, SCHEMAC_GRAMMAR_COUNT.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let mut r = Rng(env("SCHEMAC_GRAMMAR_SEED").unwrap_or(0x5eed_1234_abcd_0001) | 1);
    let count = env("SCHEMAC_GRAMMAR_COUNT").unwrap_or(2_500) as usize;
    let mut seen = std::collections::BTreeSet::new();
    let mut disagreements = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    while seen.len() < count {
        let f = fragment(&mut r);
        if !seen.insert(f.clone()) {
            continue;
        }
        let ours = parse_fragment(FragmentKind::Expr, &f).is_ok();
        let theirs = if not_one_expression(&f) {
            false
        } else {
            match client.batch_execute(&format!("SELECT ({f}) FROM g")) {
                Ok(()) => true,
                Err(e) => e.as_db_error().map(|d| d.code().code()) != Some("42601"),
            }
        };
        if theirs {
            accepted += 1;
        } else {
            refused += 1;
        }
        if !ours && theirs {
            if let Some(why) = stricter(&f, &prefix_operators) {
                *known.entry(why).or_insert(0usize) += 1;
                continue;
            }
        }
        if ours != theirs {
            disagreements.push(format!(
                "{} `{f}`",
                if theirs {
                    "PostgreSQL accepts, schemac refuses:"
                } else {
                    "PostgreSQL refuses, schemac accepts:"
                }
            ));
        }
    }
    println!("{accepted} accepted and {refused} refused by PostgreSQL");
    for (why, n) in &known {
        println!("schemac stricter ({n}): {why}");
    }
    let stricter_total: usize = known.values().sum();
    assert!(
        stricter_total * 50 < seen.len(),
        "{stricter_total} fragments in the known stricter classes: {known:?}"
    );
    assert!(
        accepted > 500 && refused > 500,
        "{accepted} accepted, {refused} refused: the generator should produce both"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} fragments disagree:\n{}",
        disagreements.len(),
        seen.len(),
        disagreements.join("\n")
    );
}

/// The keyword lists the grammar checks use are PostgreSQL 15's `pg_get_keywords()`.
#[test]
fn the_keyword_lists_are_pg_get_keywords() {
    use schemac::ir::pg_keywords::*;
    let db = Server::get().database("keywords");
    let rows = Server::get()
        .rows(
            &db.name,
            "select word, catcode, barelabel from pg_get_keywords() order by word",
        )
        .unwrap();
    let words = |pred: &dyn Fn(&[String]) -> bool| -> Vec<String> {
        rows.iter()
            .filter(|r| pred(r))
            .map(|r| r[0].clone())
            .collect()
    };
    let list = |l: &[&str]| -> Vec<String> { l.iter().map(|s| s.to_string()).collect() };
    assert_eq!(list(RESERVED), words(&|r| r[1] == "R" || r[1] == "T"));
    assert_eq!(list(TYPE_FUNCTION_KEYWORDS), words(&|r| r[1] == "T"));
    assert_eq!(list(AS_LABEL_ONLY), words(&|r| r[2] == "f"));
    // Column-name keywords, less those the grammar writes as calls of its own.
    assert_eq!(
        list(NOT_FUNCTIONS),
        words(&|r| r[1] == "C" && !CALL_FORMS.contains(&r[0].as_str()))
    );
    for k in EXPRESSION_KEYWORDS {
        assert!(RESERVED.contains(k), "{k} is not a reserved keyword");
    }
}
