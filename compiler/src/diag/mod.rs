//! One diagnostic type for every phase, collected in a sink and rendered with miette.

use std::ops::Range;

mod render;

pub use render::Renderer;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A place in a source file. Snapshots do not keep places: a `Loc` serializes as
/// `null` and deserializes to the empty place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub span: Range<usize>,
}

impl serde::Serialize for Loc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_none()
    }
}

impl<'de> serde::Deserialize<'de> for Loc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(Loc::default())
    }
}

impl Loc {
    pub fn new(file: FileId, span: Range<usize>) -> Self {
        Loc { file, span }
    }
}

/// A source file as read from disk; `path` is the path shown to users (relative to
/// the directory schemac was pointed at, so output does not depend on the machine).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    /// Byte offset of the start of every line, built on first use: finding the line of
    /// an offset is a binary search, so reporting N diagnostics costs N log(lines).
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }
    /// 0-based line of a byte offset, and the byte offset where that line starts.
    pub fn line_of(&self, offset: usize) -> (usize, usize) {
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset).saturating_sub(1);
        (line, starts[line])
    }
    /// Byte range of a 0-based line, without its line break.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let starts = self.line_starts();
        let start = starts[line.min(starts.len() - 1)];
        let end = starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        start..end.max(start)
    }
    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }
}

/// Every file read in one run.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: String, text: String) -> FileId {
        self.files.push(SourceFile {
            path,
            text,
            line_starts: std::sync::OnceLock::new(),
        });
        FileId(self.files.len() as u32 - 1)
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let f = self.get(file);
        let offset = floor_char_boundary(&f.text, offset.min(f.text.len()));
        let (line, start) = f.line_of(offset);
        (line + 1, f.text[start..offset].chars().count() + 1)
    }
}

pub(crate) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub loc: Loc,
    pub message: String,
}

/// A problem found in the user's files: what is wrong, where, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, e.g. `unknown-key` or a lint rule name.
    pub code: String,
    pub severity: Severity,
    /// States the problem.
    pub message: String,
    /// Primary label first. May be empty only for problems that are not in a file.
    pub labels: Vec<Label>,
    /// An instruction: what to type or run.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.into(),
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }
    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }
    pub fn label(mut self, loc: &Loc, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            loc: loc.clone(),
            message: message.into(),
        });
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    fn sort_key(&self, sources: &Sources) -> (String, usize, String, String) {
        match self.labels.first() {
            Some(l) => (
                sources.get(l.loc.file).path.clone(),
                l.loc.span.start,
                self.code.clone(),
                self.message.clone(),
            ),
            None => (String::new(), 0, self.code.clone(), self.message.clone()),
        }
    }
}

/// The sink every phase writes into.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }
    /// Diagnostics in their fixed output order: file, position, code.
    pub fn sorted(&self, sources: &Sources) -> Vec<Diagnostic> {
        let mut v = self.items.clone();
        v.sort_by_cached_key(|d| d.sort_key(sources));
        v.dedup();
        v
    }
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

/// How many candidate names one compilation may compare by edit distance for "did you
/// mean" suggestions. Each comparison is cheap, but N unknown names against N declared
/// ones is quadratic: with 10,000 of each, suggestions alone took over 100 s. Past the
/// budget, diagnostics come without a suggestion. The budget is per thread and reset at
/// the start of each compilation, so the same input gets the same suggestions.
pub const SUGGESTION_BUDGET: u64 = 200_000;

thread_local! {
    static SUGGESTIONS_LEFT: std::cell::Cell<u64> = const { std::cell::Cell::new(SUGGESTION_BUDGET) };
}

/// Restores the suggestion budget (at the start of a compilation).
pub fn reset_suggestion_budget() {
    SUGGESTIONS_LEFT.with(|b| b.set(SUGGESTION_BUDGET));
}

/// "Did you mean" candidate: the closest name within a small edit distance.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = word.chars().count();
    SUGGESTIONS_LEFT.with(|left| {
        let mut best: Option<(usize, &'a str)> = None;
        for c in candidates {
            let limit = 2.max(c.len() / 3);
            // The distance is at least the difference in length: no need to compute it.
            if c.len().abs_diff(len) > limit && c.chars().count().abs_diff(len) > limit {
                continue;
            }
            if left.get() == 0 {
                return None;
            }
            left.set(left.get() - 1);
            let d = strsim::damerau_levenshtein(word, c);
            if d <= limit && best.is_none_or(|b| (d, c) < b) {
                best = Some((d, c));
            }
        }
        best.map(|(_, c)| c)
    })
}
