//! One diagnostic type for every phase, collected in a sink and rendered with miette.

use std::fmt;
use std::ops::Range;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

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
}

/// Every file read in one run.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: String, text: String) -> FileId {
        self.files.push(SourceFile { path, text });
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
        let text = &self.get(file).text;
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
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

/// Renders diagnostics as text (miette's graphical renderer).
pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    /// Colours and Unicode for terminals.
    pub fn fancy(width: usize) -> Self {
        Renderer {
            handler: GraphicalReportHandler::new_themed(GraphicalTheme::unicode())
                .with_width(width),
        }
    }
    /// No colour, ASCII art, fixed width: stable for snapshots and logs.
    pub fn plain(width: usize) -> Self {
        Renderer {
            handler: GraphicalReportHandler::new_themed(GraphicalTheme::none())
                .with_width(width)
                .with_links(false),
        }
    }
    pub fn render(&self, d: &Diagnostic, sources: &Sources) -> String {
        let mut out = String::new();
        let report = Report::new(d, sources);
        if self.handler.render_report(&mut out, &report).is_err() {
            out = format!("{}: {}\n", d.code, d.message);
        }
        out
    }
}

/// Adapter that shows one [`Diagnostic`] to miette. Labels in a file other than the
/// primary label's become related reports, so every label is shown in its own file.
struct Report {
    code: String,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &Sources) -> Self {
        let primary = d.labels.first().map(|l| l.loc.file);
        let mut labels = Vec::new();
        let mut related: Vec<Report> = Vec::new();
        for l in &d.labels {
            let file = sources.get(l.loc.file);
            let span = clamp(&l.loc.span, &file.text);
            let labeled = LabeledSpan::new(Some(l.message.clone()), span.offset(), span.len());
            if Some(l.loc.file) == primary {
                labels.push(labeled);
            } else {
                related.push(Report {
                    code: d.code.clone(),
                    severity: d.severity,
                    message: l.message.clone(),
                    help: None,
                    source: Some(NamedSource::new(file.path.clone(), file.text.clone())),
                    labels: vec![LabeledSpan::new(None, span.offset(), span.len())],
                    related: Vec::new(),
                });
            }
        }
        let source = primary.map(|f| {
            let file = sources.get(f);
            NamedSource::new(file.path.clone(), file.text.clone())
        });
        Report {
            code: d.code.clone(),
            severity: d.severity,
            message: d.message.clone(),
            help: d.help.clone(),
            source,
            labels,
            related,
        }
    }
}

fn clamp(span: &Range<usize>, text: &str) -> SourceSpan {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    SourceSpan::new(start.into(), end - start)
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// "Did you mean" candidate: the closest name within a small edit distance.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}
