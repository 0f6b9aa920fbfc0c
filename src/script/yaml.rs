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

/// Read one YAML document with positions.
#[must_use]
pub fn read(text: &str) -> YamlDoc {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    let mut problems = Vec::new();
    if let Err(e) = parser.load(&mut builder, false) {
        let m = e.marker();
        problems.push(YamlProblem {
            span: span_of(*m),
            message: format!("YAML syntax: {}", e.info()),
        });
        return YamlDoc {
            root: None,
            problems,
        };
    }
    problems.append(&mut builder.problems);
    YamlDoc {
        root: builder.root,
        problems,
    }
}

fn span_of(m: Marker) -> Span {
    let line = u32::try_from(m.line()).unwrap_or(u32::MAX);
    let col = u32::try_from(m.col()).unwrap_or(u32::MAX).saturating_add(1);
    Span::new(line, col)
}

enum Frame {
    Seq(Vec<YNode>, Span, usize),
    Map(Vec<(YNode, YNode)>, Option<YNode>, Span, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<YNode>,
    anchors: HashMap<usize, YNode>,
    problems: Vec<YamlProblem>,
    done: bool,
}

impl Builder {
    fn push_value(&mut self, node: YNode) {
        match self.stack.last_mut() {
            Some(Frame::Seq(items, _, _)) => items.push(node),
            Some(Frame::Map(entries, pending, _, _)) => match pending.take() {
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
            },
            None => {
                if self.root.is_none() && !self.done {
                    self.root = Some(node);
                }
                self.done = true;
            }
        }
    }

    fn remember(&mut self, anchor: usize, node: &YNode) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let span = span_of(mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = if style == TScalarStyle::Plain && tag.is_none() {
                    resolve_plain(text)
                } else {
                    YValue::Str(text)
                };
                let node = YNode { value, span };
                self.remember(anchor, &node);
                self.push_value(node);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq(Vec::new(), span, anchor));
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(Vec::new(), None, span, anchor));
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, start, anchor)) = self.stack.pop() {
                    let node = YNode {
                        value: YValue::Seq(items),
                        span: start,
                    };
                    self.remember(anchor, &node);
                    self.push_value(node);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(entries, _, start, anchor)) = self.stack.pop() {
                    let node = YNode {
                        value: YValue::Map(entries),
                        span: start,
                    };
                    self.remember(anchor, &node);
                    self.push_value(node);
                }
            }
            Event::Alias(anchor) => {
                let node = self.anchors.get(&anchor).cloned().map_or(
                    YNode {
                        value: YValue::Null,
                        span,
                    },
                    |n| YNode { span, ..n },
                );
                self.push_value(node);
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
}
