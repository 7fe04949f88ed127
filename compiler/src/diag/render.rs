//! Rendering diagnostics with miette's graphical renderer.
//!
//! miette is never given a whole file: each report gets an [`Excerpt`], the few lines
//! around its labels, with long lines cut around the label. So rendering N diagnostics
//! costs what their excerpts cost, not N times the file, and a line of any length
//! renders (miette panics on a label past column 65,535).

use std::fmt;
use std::ops::Range;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::{floor_char_boundary, Diagnostic, Severity, SourceFile, Sources};

/// Lines of context miette shows before and after a label (its default).
const CONTEXT_LINES: usize = 1;
/// A line longer than this (bytes) is shown cut around its labels.
const MAX_LINE: usize = 240;
/// Bytes kept on each side of a label on a cut line.
const KEEP: usize = 80;
/// Longest label shown (bytes); a longer one is shown up to this length.
const MAX_LABEL: usize = 2_000;
/// Labels further than this many lines from the primary label get their own snippet.
const NEAR_LINES: usize = 40;
/// Longest message, label text or help shown (characters).
const MAX_TEXT: usize = 600;
/// Marks the cut ends of a long line.
const ELLIPSIS: &str = "…";

/// Renders diagnostics as text (miette's graphical renderer).
pub struct Renderer {
    handler: GraphicalReportHandler,
}

impl Renderer {
    /// Colours and Unicode for terminals.
    pub fn fancy(width: usize) -> Self {
        Renderer {
            handler: GraphicalReportHandler::new_themed(GraphicalTheme::unicode())
                .with_width(width)
                .with_context_lines(CONTEXT_LINES),
        }
    }
    /// No colour, ASCII art, fixed width: stable for snapshots and logs.
    pub fn plain(width: usize) -> Self {
        Renderer {
            handler: GraphicalReportHandler::new_themed(GraphicalTheme::none())
                .with_width(width)
                .with_links(false)
                .with_context_lines(CONTEXT_LINES),
        }
    }
    pub fn render(&self, d: &Diagnostic, sources: &Sources) -> String {
        let mut out = String::new();
        let report = Report::new(d, sources);
        if self.handler.render_report(&mut out, &report).is_err() {
            out = format!("{}: {}\n", d.code, shorten(&d.message));
        }
        out
    }
}

/// Text as shown: at most [`MAX_TEXT`] characters, the middle elided.
pub fn shorten(text: &str) -> String {
    let count = text.chars().count();
    if count <= MAX_TEXT {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX_TEXT * 2 / 3).collect();
    let tail: String = text.chars().skip(count - MAX_TEXT / 6).collect();
    let omitted = text.len() - head.len() - tail.len();
    format!("{head}{ELLIPSIS}[{omitted} bytes not shown]{ELLIPSIS}{tail}")
}

/// Adapter that shows one [`Diagnostic`] to miette. Labels in a file other than the
/// primary label's, or far from it, become related reports with snippets of their own.
struct Report {
    code: String,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &Sources) -> Self {
        let primary = d.labels.first().map(|l| {
            let file = sources.get(l.loc.file);
            (
                l.loc.file,
                file.line_of(clamp(&l.loc.span, &file.text).start).0,
            )
        });
        let mut here: Vec<(Range<usize>, String)> = Vec::new();
        let mut related = Vec::new();
        for l in &d.labels {
            let file = sources.get(l.loc.file);
            let span = clamp(&l.loc.span, &file.text);
            let near = primary.is_some_and(|(f, line)| {
                f == l.loc.file && file.line_of(span.start).0.abs_diff(line) <= NEAR_LINES
            });
            if near {
                here.push((span, shorten(&l.message)));
            } else {
                let (source, labels) = Excerpt::build(file, &[(span, String::new())]);
                related.push(Report {
                    code: d.code.clone(),
                    severity: d.severity,
                    message: shorten(&l.message),
                    help: None,
                    source: Some(source),
                    labels,
                    related: Vec::new(),
                });
            }
        }
        let (source, labels) = match primary {
            Some((f, _)) => {
                let (s, l) = Excerpt::build(sources.get(f), &here);
                (Some(s), l)
            }
            None => (None, Vec::new()),
        };
        Report {
            code: d.code.clone(),
            severity: d.severity,
            message: shorten(&d.message),
            help: d.help.as_deref().map(shorten),
            source,
            labels,
            related,
        }
    }
}

/// The lines of a file around some labels, long lines cut, as miette's source.
struct Excerpt {
    name: String,
    text: String,
    /// 0-based line of the file where `text` starts.
    first_line: usize,
    /// Per line of `text`: characters of the file's line cut away before it, minus the
    /// ellipsis shown instead (so that reported columns are the file's).
    column_shift: Vec<usize>,
}

/// How one line of the file appears in an excerpt.
struct ShownLine {
    /// The part of the file's line that is shown.
    window: Range<usize>,
    /// Offset in the excerpt of `window.start`.
    at: usize,
}

impl Excerpt {
    /// The excerpt of `file` that shows `labels` (spans already on char boundaries),
    /// and the labels in the excerpt's offsets.
    fn build(file: &SourceFile, labels: &[(Range<usize>, String)]) -> (Excerpt, Vec<LabeledSpan>) {
        let text = &file.text;
        // Long labels are shown up to MAX_LABEL bytes and NEAR_LINES lines.
        let spans: Vec<Range<usize>> = labels
            .iter()
            .map(|(s, _)| {
                let (line, _) = file.line_of(s.start);
                let last = file.line_range((line + NEAR_LINES).min(file.line_count() - 1));
                let end = s.end.min(s.start + MAX_LABEL).min(last.end).max(s.start);
                s.start..floor_char_boundary(text, end)
            })
            .collect();
        let lines = |o: usize| file.line_of(o).0;
        let lo = spans
            .iter()
            .map(|s| lines(s.start))
            .min()
            .unwrap_or(0)
            .saturating_sub(CONTEXT_LINES);
        let hi = spans
            .iter()
            .map(|s| lines(s.end))
            .max()
            .unwrap_or(0)
            .saturating_add(CONTEXT_LINES)
            .min(file.line_count() - 1);
        let mut out = String::new();
        let mut shown: Vec<ShownLine> = Vec::with_capacity(hi - lo + 1);
        let mut column_shift = Vec::with_capacity(hi - lo + 1);
        for line in lo..=hi {
            let range = file.line_range(line);
            if line > lo {
                out.push('\n');
            }
            let window = if range.len() <= MAX_LINE {
                range.clone()
            } else {
                // Around the labels that touch this line, or the line's start.
                let touching = spans
                    .iter()
                    .filter(|s| s.start <= range.end && s.end >= range.start);
                let from = touching.clone().map(|s| s.start.max(range.start)).min();
                let to = touching.map(|s| s.end.min(range.end)).max();
                let (from, to) = match (from, to) {
                    (Some(f), Some(t)) => (f.saturating_sub(KEEP), t + KEEP),
                    _ => (range.start, range.start + MAX_LINE),
                };
                let from = floor_char_boundary(text, from.max(range.start));
                let to = floor_char_boundary(text, to.min(range.end).min(from + 4 * MAX_LINE));
                from..to.max(from)
            };
            let cut_before = window.start > range.start;
            column_shift.push(if cut_before {
                text[range.start..window.start].chars().count() - 1
            } else {
                0
            });
            if cut_before {
                out.push_str(ELLIPSIS);
            }
            shown.push(ShownLine {
                at: out.len(),
                window: window.clone(),
            });
            out.push_str(&text[window.clone()]);
            if window.end < range.end {
                out.push_str(ELLIPSIS);
            }
        }
        if hi + 1 < file.line_count() {
            // The last line shown ends as it does in the file.
            out.push('\n');
        }
        let map = |o: usize| {
            let l = &shown[lines(o).clamp(lo, hi) - lo];
            l.at + o.clamp(l.window.start, l.window.end) - l.window.start
        };
        // The first label is the diagnostic's own place: miette shows its line and column
        // in the header, wherever the other labels are.
        let labeled = spans
            .iter()
            .zip(labels)
            .enumerate()
            .map(|(i, (s, (_, message)))| {
                let (start, end) = (map(s.start), map(s.end).max(map(s.start)));
                let message = (!message.is_empty()).then(|| message.clone());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(message, (start, end - start))
                } else {
                    LabeledSpan::new(message, start, end - start)
                }
            })
            .collect();
        (
            Excerpt {
                name: file.path.clone(),
                text: out,
                first_line: lo,
                column_shift,
            },
            labeled,
        )
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let line = inner.line();
        let column = inner.column()
            + if inner.column() > 0 {
                self.column_shift.get(line).copied().unwrap_or(0)
            } else {
                0
            };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

fn clamp(span: &Range<usize>, text: &str) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    start..end
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
