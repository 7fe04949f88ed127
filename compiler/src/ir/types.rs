//! Column and argument types: which names are PostgreSQL built-ins, and a canonical
//! spelling so `int4` and `integer` compare equal (foreign keys must match types).

/// Built-in type names schemac accepts (with their aliases), canonical name first.
const BUILTINS: &[(&str, &[&str])] = &[
    ("smallint", &["int2"]),
    ("integer", &["int", "int4"]),
    ("bigint", &["int8"]),
    ("numeric", &["decimal"]),
    ("real", &["float4"]),
    ("double precision", &["float8", "float"]),
    ("smallserial", &["serial2"]),
    ("serial", &["serial4"]),
    ("bigserial", &["serial8"]),
    ("money", &[]),
    ("text", &[]),
    ("character varying", &["varchar"]),
    ("character", &["char", "bpchar"]),
    ("citext", &[]),
    ("bytea", &[]),
    ("boolean", &["bool"]),
    ("date", &[]),
    ("time", &["time without time zone"]),
    ("timetz", &["time with time zone"]),
    ("timestamp", &["timestamp without time zone"]),
    ("timestamptz", &["timestamp with time zone"]),
    ("interval", &[]),
    ("uuid", &[]),
    ("json", &[]),
    ("jsonb", &[]),
    ("xml", &[]),
    ("inet", &[]),
    ("cidr", &[]),
    ("macaddr", &[]),
    ("tsvector", &[]),
    ("tsquery", &[]),
    ("point", &[]),
    ("int4range", &[]),
    ("int8range", &[]),
    ("numrange", &[]),
    ("tsrange", &[]),
    ("tstzrange", &[]),
    ("daterange", &[]),
    ("oid", &[]),
    ("regclass", &[]),
    ("name", &[]),
    ("bit", &[]),
    ("varbit", &["bit varying"]),
];

/// Pseudo-types allowed only as function return types.
pub const RETURN_PSEUDO: &[&str] = &["trigger", "void", "record", "event_trigger"];

/// A parsed type: base name, modifiers and array depth.
///
/// The base holds every word of the name, so the suffixes PostgreSQL writes after the
/// modifiers stay with it: `timestamp(6) without time zone` has the base `timestamp
/// without time zone` and the modifiers `6`; `interval day to second(3)` has the base
/// `interval day to second`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeName {
    pub base: String,
    pub modifiers: Option<String>,
    pub array_depth: usize,
}

/// The fields an `interval` may be restricted to (`interval day to second`).
const INTERVAL_FIELDS: &[&str] = &[
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "year to month",
    "day to hour",
    "day to minute",
    "day to second",
    "hour to minute",
    "hour to second",
    "minute to second",
];

impl TypeName {
    /// Whether the modifiers are numbers only, as every built-in type's are.
    pub fn numeric_modifiers(&self) -> bool {
        self.modifiers
            .as_ref()
            .is_none_or(|m| m.chars().all(|c| c.is_ascii_digit() || c == ','))
    }

    /// Spelling used in generated SQL: the modifiers of `time` and `timestamp` go after
    /// the first word (`timestamp(6) with time zone`), every other type's at the end.
    pub fn display(&self) -> String {
        let mods = self
            .modifiers
            .as_ref()
            .map(|m| format!("({m})"))
            .unwrap_or_default();
        let mut s = match self.base.split_once(' ') {
            Some((first @ ("time" | "timestamp"), zone)) => format!("{first}{mods} {zone}"),
            _ => format!("{}{mods}", self.base),
        };
        for _ in 0..self.array_depth {
            s.push_str("[]");
        }
        s
    }
}

/// Strips the array suffixes PostgreSQL accepts: `[]`, `[3]` (the size is not enforced),
/// `ARRAY` and `ARRAY[3]`; returns the element type and the depth.
fn strip_arrays(text: &str) -> (String, usize) {
    let mut t = text.trim().to_string();
    let mut depth = 0;
    loop {
        let trimmed = t.trim_end();
        if let Some(rest) = trimmed.strip_suffix(']') {
            if let Some(open) = rest.rfind('[') {
                if rest[open + 1..].trim().chars().all(|c| c.is_ascii_digit()) {
                    depth += 1;
                    t = rest[..open].to_string();
                    // `integer ARRAY[3]`
                    let lower = t.trim_end().to_ascii_lowercase();
                    if lower.ends_with(" array") {
                        t = t.trim_end()[..lower.len() - " array".len()].to_string();
                    }
                    continue;
                }
            }
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.ends_with(" array") {
            depth += 1;
            t = trimmed[..lower.len() - " array".len()].to_string();
            continue;
        }
        t = trimmed.to_string();
        break;
    }
    (t, depth)
}

/// A type name's parts as PostgreSQL reads them: unquoted parts lower-cased, quoted
/// ones kept (`"Public"."Mood"` is `Public.Mood`); `None` if it is not a name.
fn name_parts(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        out.push('"');
                    }
                    '"' => break,
                    c if c.is_control() => return None,
                    c => out.push(c),
                }
            },
            c if c.is_alphanumeric() || c == '_' || c == '.' || c == ' ' => {
                out.extend(c.to_lowercase())
            }
            _ => return None,
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(out)
}

/// Splits `varchar(255)[]` into its parts; lower-cases and collapses spaces in the base.
/// Takes every spelling PostgreSQL prints or accepts for the built-ins:
/// `timestamp(6) without time zone`, `time(3) with time zone`, `interval day to
/// second(3)`, `bit varying(8)`, `integer ARRAY[4]`, `"public"."mood"`.
pub fn parse_type(text: &str) -> Result<TypeName, String> {
    let (t, array_depth) = strip_arrays(text);
    let (base, modifiers) = match t.find('(') {
        Some(i) => {
            let Some(close) = t[i..].find(')').map(|c| i + c) else {
                return Err(format!("`{text}` has an unclosed `(`"));
            };
            let inner = t[i + 1..close]
                .split(',')
                .map(|s| s.trim())
                .collect::<Vec<_>>()
                .join(",");
            // Built-in types take numbers; extension types may take words too
            // (`geometry(Point,4326)`), checked where the type is resolved.
            if inner.is_empty()
                || !inner
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ',')
            {
                return Err(format!(
                    "type modifiers in `{text}` must be numbers or words, like `numeric(10,2)` or `geometry(Point,4326)`"
                ));
            }
            // What follows the modifiers is part of the name (`with time zone`).
            let rest = t[close + 1..].trim();
            if rest.contains(['(', ')']) {
                return Err(format!("`{text}` is not a type name"));
            }
            (format!("{} {rest}", &t[..i]), Some(inner))
        }
        None => (t.clone(), None),
    };
    let Some(base) = name_parts(&base) else {
        return Err(format!("`{text}` is not a type name"));
    };
    if base.is_empty() {
        return Err("the type is empty".to_string());
    }
    Ok(TypeName {
        base,
        modifiers,
        array_depth,
    })
}

/// Canonical base name of a built-in type, or `None` if it is not one.
pub fn builtin(base: &str) -> Option<&'static str> {
    let base = base.strip_prefix("pg_catalog.").unwrap_or(base);
    if let Some(fields) = base.strip_prefix("interval ") {
        return INTERVAL_FIELDS
            .iter()
            .find(|f| **f == fields)
            .map(|_| "interval");
    }
    BUILTINS
        .iter()
        .find(|(canon, aliases)| *canon == base || aliases.contains(&base))
        .map(|(canon, _)| *canon)
}

/// Every spelling accepted for built-ins (for "did you mean").
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS
        .iter()
        .flat_map(|(c, a)| std::iter::once(*c).chain(a.iter().copied()))
}

/// Canonical spelling of a whole type, for equality checks.
pub fn canonical(t: &TypeName) -> String {
    let bare = t.base.strip_prefix("pg_catalog.").unwrap_or(&t.base);
    let base = match builtin(bare) {
        // The fields are part of the type (`interval day to second`).
        Some("interval") => bare.to_string(),
        Some(b) => b.to_string(),
        None => t.base.clone(),
    };
    // serial types are integers once created.
    let base = match base.as_str() {
        "smallserial" => "smallint".to_string(),
        "serial" => "integer".to_string(),
        "bigserial" => "bigint".to_string(),
        _ => base,
    };
    TypeName {
        base,
        modifiers: t.modifiers.clone(),
        array_depth: t.array_depth,
    }
    .display()
}

/// How PostgreSQL's `format_type` spells a canonical type (what catalogs and pgTAP's
/// `col_type_is` report): `timestamptz` is `timestamp with time zone`, types in the
/// default schema are unqualified.
pub fn format_type_name(canonical: &str, default_schema: &str) -> String {
    let mut base = canonical;
    let mut arrays = 0;
    while let Some(x) = base.strip_suffix("[]") {
        base = x;
        arrays += 1;
    }
    let (name, mods) = match base.find('(') {
        Some(i) => (&base[..i], &base[i..]),
        None => (base, ""),
    };
    let mut out = String::with_capacity(canonical.len() + 16);
    match name {
        "timestamptz" => out.extend(["timestamp", mods, " with time zone"]),
        "timestamp" => out.extend(["timestamp", mods, " without time zone"]),
        "timetz" => out.extend(["time", mods, " with time zone"]),
        "time" => out.extend(["time", mods, " without time zone"]),
        "varbit" => out.extend(["bit varying", mods]),
        "character" if mods.is_empty() => out.push_str("character(1)"),
        other => {
            let other = other
                .strip_prefix(default_schema)
                .and_then(|rest| rest.strip_prefix('.'))
                .unwrap_or(other);
            out.extend([other, mods]);
        }
    }
    for _ in 0..arrays {
        out.push_str("[]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_canonicalizes() {
        let t = parse_type("VARCHAR( 255 )[]").unwrap();
        assert_eq!(t.display(), "varchar(255)[]");
        assert_eq!(canonical(&t), "character varying(255)[]");
        assert_eq!(
            canonical(&parse_type("int4").unwrap()),
            canonical(&parse_type("integer").unwrap())
        );
        assert_eq!(
            canonical(&parse_type("timestamp  with time zone").unwrap()),
            "timestamptz"
        );
        assert!(parse_type("numeric(10,2").is_err());
        // Every spelling PostgreSQL prints or accepts.
        for (text, canon, sql) in [
            (
                "timestamp(6) without time zone",
                "timestamp(6)",
                "timestamp(6) without time zone",
            ),
            (
                "TIMESTAMP (3) WITH TIME ZONE",
                "timestamptz(3)",
                "timestamp(3) with time zone",
            ),
            (
                "time(0) with time zone",
                "timetz(0)",
                "time(0) with time zone",
            ),
            (
                "time(2) without time zone[]",
                "time(2)[]",
                "time(2) without time zone[]",
            ),
            (
                "interval day to second(3)",
                "interval day to second(3)",
                "interval day to second(3)",
            ),
            (
                "interval year to month",
                "interval year to month",
                "interval year to month",
            ),
            ("interval(6)", "interval(6)", "interval(6)"),
            ("bit varying(8)", "varbit(8)", "bit varying(8)"),
            ("integer[3]", "integer[]", "integer[]"),
            ("int ARRAY", "integer[]", "integer[]"),
            ("int4 array[4][2]", "integer[][]", "integer[][]"),
            ("pg_catalog.int8", "bigint", "bigint"),
            ("\"pg_catalog\".\"text\"", "text", "text"),
            (
                "double precision[]",
                "double precision[]",
                "double precision[]",
            ),
        ] {
            let t = parse_type(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(canonical(&t), canon, "{text}");
            assert_eq!(format_type_name(&canonical(&t), "public"), sql, "{text}");
        }
        assert_eq!(
            parse_type("timestamp(6) without time zone")
                .unwrap()
                .display(),
            "timestamp(6) without time zone"
        );
        assert!(parse_type("interval fortnight").is_ok_and(|t| builtin(&t.base).is_none()));
        assert!(parse_type("timestamp(6) with (time zone)").is_err());
        assert!(parse_type("\"unclosed").is_err());
        assert!(parse_type("text; drop table x").is_err());
        assert!(parse_type("geometry(Point,4326)").is_ok_and(|t| !t.numeric_modifiers()));
        assert!(parse_type("vector(384)").is_ok_and(|t| t.numeric_modifiers()));
        assert!(parse_type("geometry(Point;4326)").is_err());
    }
}
