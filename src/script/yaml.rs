//! The one file that touches YAML crates.
//!
//! Reading goes through yaml-rust2's event parser into [`YNode`], a small document tree that
//! keeps the line and column of every value and key and reports duplicate keys (serde_yaml would
//! silently keep the last one). Writing goes through serde_yaml.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::model::Span;

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct YNode {
    pub value: YValue,
    pub span: Span,
}

/// The value part of a [`YNode`]. Plain scalars are resolved with the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum YValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<YNode>),
    /// Keys in document order; duplicates are reported by the reader and the first one is kept.
    Map(Vec<(YNode, YNode)>),
}

impl YValue {
    /// A short name of the value's type for messages ("a string", "a list", …).
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Int(_) => "an integer",
            Self::Float(_) => "a number",
            Self::Str(_) => "a string",
            Self::Seq(_) => "a list",
            Self::Map(_) => "a mapping",
        }
    }
}

/// A problem found while reading YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    pub span: Span,
    pub message: String,
}

/// The result of reading a YAML document: the tree (absent on a syntax error or an empty
/// file) and every problem found (syntax error, duplicate keys).
#[derive(Debug, Default)]
pub struct YamlDoc {
    pub root: Option<YNode>,
    pub problems: Vec<YamlProblem>,
}

/// The most values one document may hold, counting every value an alias repeats. The largest
/// SocialEval tree holds about 15,000; a 300-byte alias bomb asks for billions.
pub const MAX_NODES: usize = 1_000_000;
/// The most scalar text (bytes) one document may hold, counting text an alias repeats.
pub const MAX_TEXT_BYTES: usize = 64 << 20;
/// The deepest nesting of lists and mappings (a world tree needs about 8).
pub const MAX_DEPTH: usize = 64;
/// The most aliases (`*name`) one document may use.
pub const MAX_ALIASES: usize = 10_000;

/// Read one YAML document with positions.
///
/// Reading is bounded: past [`MAX_NODES`] values, [`MAX_TEXT_BYTES`] of text, [`MAX_DEPTH`]
/// levels or [`MAX_ALIASES`] aliases it stops with one problem (for an expansion, at the
/// anchor whose repetition crossed the bound) and no tree.
#[must_use]
pub fn read(text: &str) -> YamlDoc {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((ev, mark)) => {
                let end = matches!(ev, Event::StreamEnd);
                builder.on_event(ev, mark);
                if let Some(problem) = builder.stopped.take() {
                    return YamlDoc {
                        root: None,
                        problems: vec![problem],
                    };
                }
                if end {
                    break;
                }
            }
            Err(e) => {
                return YamlDoc {
                    root: None,
                    problems: vec![YamlProblem {
                        span: span_of(*e.marker()),
                        message: format!("YAML syntax: {}", e.info()),
                    }],
                };
            }
        }
    }
    YamlDoc {
        root: builder.root,
        problems: builder.problems,
    }
}

fn span_of(m: Marker) -> Span {
    let line = u32::try_from(m.line()).unwrap_or(u32::MAX);
    let col = u32::try_from(m.col()).unwrap_or(u32::MAX).saturating_add(1);
    Span::new(line, col)
}

/// A list or mapping being built: its items, where it starts, its anchor, and its weight
/// (values and text bytes it holds, itself included).
enum Frame {
    Seq(Vec<YNode>, Span, usize, Weight),
    Map(Vec<(YNode, YNode)>, Option<YNode>, Span, usize, Weight),
}

/// How much a value costs: the values it holds (itself included) and their text bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Weight {
    nodes: usize,
    bytes: usize,
}

impl Weight {
    const ONE: Self = Self { nodes: 1, bytes: 0 };

    fn add(&mut self, other: Self) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// What an anchor names: the value, its weight and where the anchor stands.
struct Anchored {
    node: YNode,
    weight: Weight,
    span: Span,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<YNode>,
    anchors: HashMap<usize, Anchored>,
    problems: Vec<YamlProblem>,
    done: bool,
    /// Everything built so far, alias repetitions included.
    total: Weight,
    aliases: usize,
    /// Set when a bound is crossed; reading stops there.
    stopped: Option<YamlProblem>,
}

impl Builder {
    fn push_value(&mut self, node: YNode, weight: Weight) {
        self.total.add(weight);
        match self.stack.last_mut() {
            Some(Frame::Seq(items, _, _, w)) => {
                w.add(weight);
                items.push(node);
            }
            Some(Frame::Map(entries, pending, _, _, w)) => {
                w.add(weight);
                match pending.take() {
                    None => *pending = Some(node),
                    Some(key) => {
                        if let YValue::Str(k) = &key.value {
                            let dup = entries
                                .iter()
                                .find(|(prev, _)| matches!(&prev.value, YValue::Str(p) if p == k));
                            if let Some((prev, _)) = dup {
                                let first = prev.span;
                                self.problems.push(YamlProblem {
                                    span: key.span,
                                    message: format!(
                                        "duplicate key `{k}` (first at line {}:{})",
                                        first.line, first.col
                                    ),
                                });
                                return;
                            }
                        }
                        entries.push((key, node));
                    }
                }
            }
            None => {
                if self.root.is_none() && !self.done {
                    self.root = Some(node);
                }
                self.done = true;
            }
        }
    }

    fn remember(&mut self, anchor: usize, node: &YNode, weight: Weight, span: Span) {
        if anchor > 0 {
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    weight,
                    span,
                },
            );
        }
    }

    fn stop(&mut self, span: Span, message: String) {
        if self.stopped.is_none() {
            self.stopped = Some(YamlProblem { span, message });
        }
    }

    /// Stop when the document has grown past its bounds; `at` is where to report it.
    fn check_total(&mut self, at: Span, what: &str) {
        if self.total.nodes > MAX_NODES {
            self.stop(
                at,
                format!(
                    "{what} makes the document hold more than {MAX_NODES} values \
                     (nested aliases repeat their anchor's value); refusing to expand it"
                ),
            );
        } else if self.total.bytes > MAX_TEXT_BYTES {
            self.stop(
                at,
                format!(
                    "{what} makes the document hold more than {} MiB of text \
                     (aliases repeat their anchor's text); refusing to expand it",
                    MAX_TEXT_BYTES >> 20
                ),
            );
        }
    }

    fn open(&mut self, frame: Frame, span: Span) {
        if self.stack.len() >= MAX_DEPTH {
            self.stop(
                span,
                format!("lists and mappings nested more than {MAX_DEPTH} deep"),
            );
            return;
        }
        self.stack.push(frame);
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let span = span_of(mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let weight = Weight {
                    nodes: 1,
                    bytes: text.len(),
                };
                let value = if style == TScalarStyle::Plain && tag.is_none() {
                    resolve_plain(text)
                } else {
                    YValue::Str(text)
                };
                let node = YNode { value, span };
                self.remember(anchor, &node, weight, span);
                self.push_value(node, weight);
                self.check_total(span, "this text");
            }
            Event::SequenceStart(anchor, _) => {
                self.open(Frame::Seq(Vec::new(), span, anchor, Weight::ONE), span);
            }
            Event::MappingStart(anchor, _) => {
                self.open(
                    Frame::Map(Vec::new(), None, span, anchor, Weight::ONE),
                    span,
                );
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, start, anchor, weight)) = self.stack.pop() {
                    let node = YNode {
                        value: YValue::Seq(items),
                        span: start,
                    };
                    self.remember(anchor, &node, weight, start);
                    // The items were counted as they came; only the list itself is new.
                    self.push_value(node, Weight::ONE);
                    self.fix_parent_weight(weight);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(entries, _, start, anchor, weight)) = self.stack.pop() {
                    let node = YNode {
                        value: YValue::Map(entries),
                        span: start,
                    };
                    self.remember(anchor, &node, weight, start);
                    self.push_value(node, Weight::ONE);
                    self.fix_parent_weight(weight);
                }
            }
            Event::Alias(anchor) => {
                self.aliases += 1;
                if self.aliases > MAX_ALIASES {
                    self.stop(
                        span,
                        format!("more than {MAX_ALIASES} aliases (`*name`) in one document"),
                    );
                    return;
                }
                let Some(target) = self.anchors.get(&anchor) else {
                    self.push_value(
                        YNode {
                            value: YValue::Null,
                            span,
                        },
                        Weight::ONE,
                    );
                    return;
                };
                let (weight, at) = (target.weight, target.span);
                let mut total = self.total;
                total.add(weight);
                if total.nodes > MAX_NODES || total.bytes > MAX_TEXT_BYTES {
                    self.total = total;
                    self.check_total(at, "repeating the value anchored here");
                    return;
                }
                let node = YNode {
                    span,
                    ..target.node.clone()
                };
                self.push_value(node, weight);
            }
            Event::DocumentStart => {
                if self.done {
                    self.problems.push(YamlProblem {
                        span,
                        message: "a script file holds one YAML document; this is a second one"
                            .to_owned(),
                    });
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

impl Builder {
    /// A finished list or mapping was pushed with weight one; its parent must also carry the
    /// weight of what it held (already in the running total).
    fn fix_parent_weight(&mut self, inner: Weight) {
        let extra = Weight {
            nodes: inner.nodes.saturating_sub(1),
            bytes: inner.bytes,
        };
        match self.stack.last_mut() {
            Some(Frame::Seq(_, _, _, w) | Frame::Map(_, _, _, _, w)) => w.add(extra),
            None => {}
        }
    }
}

fn resolve_plain(text: String) -> YValue {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return YValue::Null,
        "true" | "True" | "TRUE" => return YValue::Bool(true),
        "false" | "False" | "FALSE" => return YValue::Bool(false),
        _ => {}
    }
    let first = text.as_bytes().first().copied().unwrap_or(b'a');
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Ok(i) = text.parse::<i64>() {
            return YValue::Int(i);
        }
        if let Some(hex) = text.strip_prefix("0x")
            && let Ok(i) = i64::from_str_radix(hex, 16)
        {
            return YValue::Int(i);
        }
        if text.chars().any(|c| c.is_ascii_digit())
            && let Ok(f) = text.parse::<f64>()
        {
            return YValue::Float(f);
        }
    }
    YValue::Str(text)
}

/// Serialise a value as YAML text.
///
/// # Errors
/// When the value cannot be represented in YAML.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, serde_yaml::Error> {
    serde_yaml::to_string(value)
}

/// Deserialise a small configuration document (themes, settings) with serde.
///
/// # Errors
/// Syntax or shape errors, with serde_yaml's position in the message.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, serde_yaml::Error> {
    serde_yaml::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let doc = read("a: 1\nb:\n  - x\n  - 'y'\n");
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let Some(YNode {
            value: YValue::Map(entries),
            ..
        }) = doc.root
        else {
            panic!("not a map");
        };
        assert_eq!(entries[0].0.span, Span::new(1, 1));
        assert_eq!(entries[0].1.value, YValue::Int(1));
        assert_eq!(entries[0].1.span, Span::new(1, 4));
        assert_eq!(entries[1].0.span, Span::new(2, 1));
        let YValue::Seq(items) = &entries[1].1.value else {
            panic!("not a seq");
        };
        assert_eq!(items[1].span, Span::new(4, 5));
        assert_eq!(items[1].value, YValue::Str("y".into()));
    }

    #[test]
    fn duplicate_keys_are_reported_at_the_second() {
        let doc = read("a: 1\nb: 2\na: 3\n");
        assert_eq!(doc.problems.len(), 1);
        assert_eq!(doc.problems[0].span, Span::new(3, 1));
        assert!(doc.problems[0].message.contains("duplicate key `a`"));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let doc = read("a: [1, 2\nb: 3\n");
        assert!(doc.root.is_none());
        assert_eq!(doc.problems.len(), 1);
        assert!(doc.problems[0].span.line >= 1);
        let tabs = read("a:\n\tb: 1\n");
        assert!(tabs.root.is_none(), "tab indentation must be rejected");
    }

    #[test]
    fn plain_scalars_resolve_quoted_stay_strings() {
        let doc = read("[1, -2, 1.5, true, ~, '3', x]");
        let Some(YNode {
            value: YValue::Seq(items),
            ..
        }) = doc.root
        else {
            panic!("not a seq");
        };
        let values: Vec<_> = items.into_iter().map(|n| n.value).collect();
        assert_eq!(
            values,
            vec![
                YValue::Int(1),
                YValue::Int(-2),
                YValue::Float(1.5),
                YValue::Bool(true),
                YValue::Null,
                YValue::Str("3".into()),
                YValue::Str("x".into()),
            ]
        );
    }

    /// Nine levels of anchors, each list repeating the one before nine times: about 387
    /// million values once expanded, from a few hundred bytes.
    fn alias_bomb() -> String {
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        let mut text = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
        for pair in names.windows(2) {
            let items = vec![format!("*{}", pair[0]); 9].join(",");
            text.push_str(&format!("{}: &{} [{items}]\n", pair[1], pair[1]));
        }
        text
    }

    #[test]
    fn an_alias_bomb_stops_at_the_anchor_it_repeats() {
        let text = alias_bomb();
        assert!(text.len() < 400, "{} bytes", text.len());
        let doc = read(&text);
        assert!(doc.root.is_none());
        assert_eq!(doc.problems.len(), 1, "{:?}", doc.problems);
        let p = &doc.problems[0];
        assert!(
            p.message.contains("more than 1000000 values"),
            "{}",
            p.message
        );
        // `g` repeats `f` (597,871 values each): the first repetition crosses the bound, and
        // it is reported where `&f` anchors its list (line 6), not at the alias.
        assert_eq!(p.span, Span::new(6, 7), "{}", p.message);
    }

    #[test]
    fn repeated_long_text_is_bounded_by_bytes() {
        let long = "y".repeat(1 << 20);
        let mut text = format!("t: &t '{long}'\nl: [");
        text.push_str(&vec!["*t"; 80].join(", "));
        text.push_str("]\n");
        let doc = read(&text);
        assert!(doc.root.is_none());
        assert!(
            doc.problems[0].message.contains("MiB of text"),
            "{:?}",
            doc.problems
        );
        assert_eq!(doc.problems[0].span, Span::new(1, 7));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let doc = read(&deep);
        assert!(doc.root.is_none());
        assert!(
            doc.problems[0].message.contains("nested more than 64"),
            "{:?}",
            doc.problems
        );
        let block: String = (0..100)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        let doc = read(&block);
        assert!(doc.root.is_none(), "block nesting must be bounded too");
        let fine = format!("{}{}", "[".repeat(60), "]".repeat(60));
        assert!(read(&fine).problems.is_empty());
    }

    #[test]
    fn aliases_are_counted() {
        let mut text = String::from("a: &a 1\nl: [");
        text.push_str(&vec!["*a"; MAX_ALIASES + 1].join(", "));
        text.push_str("]\n");
        let doc = read(&text);
        assert!(doc.root.is_none());
        assert!(
            doc.problems[0].message.contains("aliases"),
            "{:?}",
            doc.problems
        );
    }

    #[test]
    fn ordinary_aliases_still_expand() {
        let doc = read("base: &b {k: v, n: [1, 2]}\ncopy: *b\n");
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let Some(YNode {
            value: YValue::Map(entries),
            ..
        }) = doc.root
        else {
            panic!("not a map");
        };
        assert_eq!(entries[0].1.value, entries[1].1.value);
        assert_eq!(entries[1].1.span, Span::new(2, 7));
    }
}
