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
            let result = (t.display(), canonical(&t));
            self.builtin_types.insert(ty.value.clone(), result.clone());
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
                let help = match did_you_mean(&t.base, cands.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => {
                        "use a PostgreSQL built-in type or declare the enum under `[enums.<name>]`"
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
