//! Column and argument types: built-in, enums of the project, and tables as row types.

use super::*;

impl Lowerer<'_> {
    /// Checks a column or argument type; returns (display, canonical), adding enum deps.
    pub(super) fn column_type(
        &mut self,
        file: FileId,
        ty: &Sp<String>,
        deps: &mut BTreeSet<ObjRef>,
        allow_tables: bool,
    ) -> Option<(String, String)> {
        // Built-in types recur thousands of times in large projects; their result
        // depends only on the text.
        if let Some(hit) = self.builtin_types.get(ty.value.as_str()) {
            return Some(hit.clone());
        }
        let l = loc(file, ty);
        // A project enum is named exactly as declared (any characters), optionally as an array.
        let mut raw = ty.value.trim();
        let mut depth = 0;
        while let Some(r) = raw.strip_suffix("[]") {
            raw = r.trim_end();
            depth += 1;
        }
        for q in [
            QName::new(self.ir.project.default_schema.clone(), raw),
            self.qualify(raw),
        ] {
            if let Some((ObjKind::Enum, _)) = self.relations.get(&q) {
                deps.insert(ObjRef {
                    kind: ObjKind::Enum,
                    name: q.clone(),
                });
                let display = format!("{}{}", crate::emit::quote_qname(&q), "[]".repeat(depth));
                return Some((display, format!("{q}{}", "[]".repeat(depth))));
            }
        }
        let t = match parse_type(&ty.value) {
            Ok(t) => t,
            Err(m) => {
                self.err(Diagnostic::error("invalid-type", m).label(&l, "not a type").help("write a PostgreSQL type such as `text`, `varchar(255)`, `numeric(10,2)` or `uuid[]`, or a project enum"));
                return None;
            }
        };
        if builtin(&t.base).is_some() {
            if !t.numeric_modifiers() {
                self.err(
                    Diagnostic::error(
                        "invalid-type",
                        format!("type modifiers of `{}` must be numbers", t.base),
                    )
                    .label(&l, "not numbers")
                    .help("write the modifiers as numbers, like `numeric(10,2)` or `varchar(255)`"),
                );
                return None;
            }
            let result = (t.display(), canonical(&t));
            self.builtin_types.insert(ty.value.clone(), result.clone());
            return Some(result);
        }
        // A type of a declared extension, unqualified or qualified with its schema.
        let (schema, bare) = match t.base.rsplit_once('.') {
            Some((s, b)) => (Some(s), b),
            None => (None, t.base.as_str()),
        };
        if self.ir.project.extensions.values().any(|e| {
            e.provides.types.contains(bare)
                && schema.is_none_or(|s| e.schema.as_deref().unwrap_or("public") == s)
        }) {
            let result = (t.display(), canonical(&t));
            return Some(result);
        }
        let q = self.qualify(&t.base);
        match self.relations.get(&q) {
            Some((ObjKind::Enum, _)) => {
                deps.insert(ObjRef {
                    kind: ObjKind::Enum,
                    name: q.clone(),
                });
                let display = format!(
                    "{}{}",
                    crate::emit::quote_qname(&q),
                    "[]".repeat(t.array_depth)
                );
                Some((display, format!("{q}{}", "[]".repeat(t.array_depth))))
            }
            Some((kind @ (ObjKind::Table | ObjKind::View), _)) if allow_tables => {
                deps.insert(ObjRef {
                    kind: *kind,
                    name: q.clone(),
                });
                Some((
                    format!(
                        "{}{}",
                        crate::emit::quote_qname(&q),
                        "[]".repeat(t.array_depth)
                    ),
                    format!("{q}{}", "[]".repeat(t.array_depth)),
                ))
            }
            _ => {
                let enums: Vec<String> = self
                    .relations
                    .iter()
                    .filter(|(_, (k, _))| *k == ObjKind::Enum)
                    .map(|(q, _)| q.name.clone())
                    .collect();
                let cands = builtin_names()
                    .map(str::to_string)
                    .chain(enums)
                    .collect::<Vec<_>>();
                let from_extension = crate::ir::extensions::known_names().find(|e| {
                    crate::ir::extensions::known(e).is_some_and(|p| p.types.contains(bare))
                });
                let help = match (from_extension, did_you_mean(&t.base, cands.iter().map(String::as_str))) {
                    (Some(e), _) => format!("`{bare}` comes with extension `{e}`: declare `[extensions.{e}]` in schemac.toml"),
                    (None, Some(c)) => format!("did you mean `{c}`?"),
                    (None, None) => {
                        "use a PostgreSQL built-in type, an extension's type (declared under `[extensions.<name>]`), or declare the enum under `[enums.<name>]`"
                            .into()
                    }
                };
                self.err(
                    Diagnostic::error("unknown-type", format!("unknown type `{}`", t.base))
                        .label(&l, "not a built-in type or project enum")
                        .help(help),
                );
                None
            }
        }
    }
}
