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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeName {
    pub base: String,
    pub modifiers: Option<String>,
    pub array_depth: usize,
}

impl TypeName {
    /// Spelling used in generated SQL.
    pub fn display(&self) -> String {
        let mut s = self.base.clone();
        if let Some(m) = &self.modifiers {
            s.push('(');
            s.push_str(m);
            s.push(')');
        }
        for _ in 0..self.array_depth {
            s.push_str("[]");
        }
        s
    }
}

/// Splits `varchar(255)[]` into its parts; lower-cases and collapses spaces in the base.
pub fn parse_type(text: &str) -> Result<TypeName, String> {
    let mut t = text.trim().to_string();
    let mut array_depth = 0;
    loop {
        let trimmed = t.trim_end();
        if let Some(rest) = trimmed.strip_suffix("[]") {
            array_depth += 1;
            t = rest.to_string();
        } else {
            t = trimmed.to_string();
            break;
        }
    }
    let (base, modifiers) = match t.find('(') {
        Some(i) => {
            let Some(inner) = t[i + 1..].strip_suffix(')') else {
                return Err(format!("`{text}` has an unclosed `(`"));
            };
            let inner = inner
                .split(',')
                .map(|s| s.trim())
                .collect::<Vec<_>>()
                .join(",");
            if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_digit() || c == ',') {
                return Err(format!(
                    "type modifiers in `{text}` must be numbers, like `numeric(10,2)`"
                ));
            }
            (t[..i].to_string(), Some(inner))
        }
        None => (t.clone(), None),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    if base.is_empty() {
        return Err("the type is empty".to_string());
    }
    if !base
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == ' ' || c == '.')
    {
        return Err(format!("`{text}` is not a type name"));
    }
    Ok(TypeName {
        base: base.to_lowercase(),
        modifiers,
        array_depth,
    })
}

/// Canonical base name of a built-in type, or `None` if it is not one.
pub fn builtin(base: &str) -> Option<&'static str> {
    let base = base.strip_prefix("pg_catalog.").unwrap_or(base);
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
    let base = builtin(&t.base)
        .map(str::to_string)
        .unwrap_or_else(|| t.base.clone());
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
        assert!(parse_type("text; drop table x").is_err());
    }
}
