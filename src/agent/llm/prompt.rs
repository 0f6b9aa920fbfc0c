//! Prompt templates and the text that fills them.
//!
//! A template is text with named placeholders `{name}`; `{{` and `}}` stand for literal braces.
//! It is parsed once into literal and placeholder segments, and a placeholder the template's
//! kind does not know is an error at load time, named with its line and column. Rendering is a
//! single pass of `push_str` into a buffer sized in advance.
//!
//! Placeholders — GAE: `{character_name}`, `{main_profile}`, `{user_profile}`,
//! `{dialogue_context}`, `{choices}`; IAE adds `{public}`, `{private}`, `{goal}`, `{question}`.
//!
//! The built-in prompts (ours, English and Chinese) are a system message (the role and the
//! answer format: the same for every call of a tree, so servers can cache it) and a user message
//! (profiles, dialogue, options, question, and a one-line reminder of the format). A template
//! loaded from a file is used alone as the user message, with no system message, so a prompt
//! written for another harness is sent exactly as written.

use std::fmt;
use std::path::Path;

use crate::engine::context::{dialogue, others, render_dialogue};
use crate::script::model::{Language, Utterance, WorldTree};

use super::parse::letter;
use super::types::ChatMessage;

/// Which evaluation a template is for; it decides the placeholders allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromptKind {
    Gae,
    Iae,
}

impl PromptKind {
    /// The placeholders a template of this kind may use.
    #[must_use]
    pub const fn slots(self) -> &'static [Slot] {
        match self {
            Self::Gae => &GAE_SLOTS,
            Self::Iae => &Slot::ALL,
        }
    }

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Gae => "GAE",
            Self::Iae => "IAE",
        }
    }
}

impl fmt::Display for PromptKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const GAE_SLOTS: [Slot; 5] = [
    Slot::CharacterName,
    Slot::MainProfile,
    Slot::UserProfile,
    Slot::DialogueContext,
    Slot::Choices,
];

/// A placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    CharacterName,
    MainProfile,
    UserProfile,
    DialogueContext,
    Choices,
    Public,
    Private,
    Goal,
    Question,
}

impl Slot {
    /// GAE's five first, then IAE's four.
    pub const ALL: [Self; 9] = [
        Self::CharacterName,
        Self::MainProfile,
        Self::UserProfile,
        Self::DialogueContext,
        Self::Choices,
        Self::Public,
        Self::Private,
        Self::Goal,
        Self::Question,
    ];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::CharacterName => "character_name",
            Self::MainProfile => "main_profile",
            Self::UserProfile => "user_profile",
            Self::DialogueContext => "dialogue_context",
            Self::Choices => "choices",
            Self::Public => "public",
            Self::Private => "private",
            Self::Goal => "goal",
            Self::Question => "question",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A template that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "line {line}, column {col}: unknown placeholder {{{name}}} in a {kind} template \
         (known: {known}; write {{{{ and }}}} for literal braces)"
    )]
    UnknownPlaceholder {
        name: String,
        line: usize,
        col: usize,
        kind: PromptKind,
        known: String,
    },
    #[error("line {line}, column {col}: `{{` is never closed (write {{{{ for a literal brace)")]
    Unclosed { line: usize, col: usize },
    #[error("line {line}, column {col}: a lone `}}` (write }}}} for a literal brace)")]
    LoneClose { line: usize, col: usize },
    #[error("the template is empty")]
    Empty,
    #[error("{path}: {error}")]
    InFile {
        path: String,
        error: Box<TemplateError>,
    },
    #[error("cannot read the template {path}: {message}")]
    Read { path: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(Box<str>),
    Slot(Slot),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    kind: PromptKind,
    segments: Vec<Segment>,
    literal_len: usize,
}

impl Template {
    /// Parse a template of `kind`. One final line end is dropped (files usually end with one).
    ///
    /// # Errors
    /// A [`TemplateError`] with the line and column of the first problem.
    pub fn parse(kind: PromptKind, text: &str) -> Result<Self, TemplateError> {
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        if text.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        let (mut line, mut line_start) = (1, 0);
        let position = |at: usize, line: usize, line_start: usize| {
            (line, text[line_start..at].chars().count() + 1)
        };
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|&(_, n)| n == '{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().is_some_and(|&(_, n)| n == '}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    let (line, col) = position(i, line, line_start);
                    return Err(TemplateError::LoneClose { line, col });
                }
                '{' => {
                    let rest = &text[i + 1..];
                    let Some(end) = rest.find('}') else {
                        let (line, col) = position(i, line, line_start);
                        return Err(TemplateError::Unclosed { line, col });
                    };
                    let name = &rest[..end];
                    let slot = Slot::from_name(name).filter(|s| kind.slots().contains(s));
                    let Some(slot) = slot else {
                        let (line, col) = position(i, line, line_start);
                        let shown: String = name.chars().take(40).collect();
                        return Err(TemplateError::UnknownPlaceholder {
                            name: shown,
                            line,
                            col,
                            kind,
                            known: kind
                                .slots()
                                .iter()
                                .map(|s| format!("{{{}}}", s.name()))
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    };
                    if !literal.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut literal).into()));
                    }
                    segments.push(Segment::Slot(slot));
                    // Skip the name and the closing brace (names hold no line ends).
                    while chars.peek().is_some_and(|&(j, _)| j <= i + 1 + end) {
                        chars.next();
                    }
                }
                '\n' => {
                    literal.push('\n');
                    line += 1;
                    line_start = i + 1;
                }
                _ => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Text(literal.into()));
        }
        let literal_len = segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => t.len(),
                Segment::Slot(_) => 0,
            })
            .sum();
        Ok(Self {
            kind,
            segments,
            literal_len,
        })
    }

    /// Load and check a template file (`--prompt-template FILE`).
    ///
    /// # Errors
    /// [`TemplateError::Read`] when the file cannot be read as UTF-8, else the parse error
    /// wrapped with the path.
    pub fn load(kind: PromptKind, path: &Path) -> Result<Self, TemplateError> {
        let shown = path.display().to_string();
        let text = crate::fsx::read_text(path, crate::fsx::MAX_SMALL_BYTES).map_err(|e| {
            TemplateError::Read {
                path: shown.clone(),
                message: e.to_string(),
            }
        })?;
        Self::parse(kind, &text).map_err(|e| TemplateError::InFile {
            path: shown,
            error: Box::new(e),
        })
    }

    #[must_use]
    pub const fn kind(&self) -> PromptKind {
        self.kind
    }

    /// The placeholders used, in order of appearance (repeats included).
    pub fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        self.segments.iter().filter_map(|s| match s {
            Segment::Slot(slot) => Some(*slot),
            Segment::Text(_) => None,
        })
    }

    /// Fill the placeholders.
    #[must_use]
    pub fn render(&self, parts: &PromptParts) -> String {
        let len = self.literal_len + self.slots().map(|s| parts.get(s).len()).sum::<usize>();
        let mut out = String::with_capacity(len);
        for s in &self.segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Slot(slot) => out.push_str(parts.get(*slot)),
            }
        }
        out
    }
}

/// The values of every placeholder, built from a tree by [`gae_parts`] or [`iae_parts`] (or
/// by hand: the fields are public so a protocol can adjust them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptParts {
    pub character_name: String,
    /// Name, public profile, private profile and goal, one labelled line each (empty ones left
    /// out).
    pub main_profile: String,
    /// The other characters met so far: `Name: public profile`, one per line.
    pub user_profile: String,
    /// The dialogue of the path, `role: content` per line.
    pub dialogue_context: String,
    /// GAE: `A: <speaker>: <utterance>` lines; IAE: `A. <utterance>` lines.
    pub choices: String,
    pub public: String,
    pub private: String,
    pub goal: String,
    pub question: String,
}

impl PromptParts {
    #[must_use]
    pub fn get(&self, slot: Slot) -> &str {
        match slot {
            Slot::CharacterName => &self.character_name,
            Slot::MainProfile => &self.main_profile,
            Slot::UserProfile => &self.user_profile,
            Slot::DialogueContext => &self.dialogue_context,
            Slot::Choices => &self.choices,
            Slot::Public => &self.public,
            Slot::Private => &self.private,
            Slot::Goal => &self.goal,
            Slot::Question => &self.question,
        }
    }
}

/// Labels used in the filled-in text, per language.
struct Labels {
    name: &'static str,
    public: &'static str,
    private: &'static str,
    goal: &'static str,
    colon: &'static str,
    none: &'static str,
    no_dialogue: &'static str,
}

const fn labels(language: Language) -> &'static Labels {
    match language {
        Language::En => &Labels {
            name: "Name",
            public: "Public profile",
            private: "Private profile",
            goal: "Goal",
            colon: ": ",
            none: "(none)",
            no_dialogue: "(nothing has been said yet)",
        },
        Language::Zh => &Labels {
            name: "姓名",
            public: "公开信息",
            private: "私密信息",
            goal: "目标",
            colon: "：",
            none: "（无）",
            no_dialogue: "（还没有对话）",
        },
    }
}

fn or_none(s: &str, l: &Labels) -> String {
    let s = s.trim();
    if s.is_empty() { l.none } else { s }.to_owned()
}

/// Everything but the options and the question.
fn common_parts(
    tree: &WorldTree,
    path: &[usize],
    chosen: Option<&[(usize, usize)]>,
) -> PromptParts {
    let l = labels(tree.language);
    let mut parts = PromptParts::default();
    if let Some(p) = tree.protagonist() {
        parts.character_name = p.name.clone();
        let mut profile = String::new();
        for (label, value) in [
            (l.name, &p.name),
            (l.public, &p.public_profile),
            (l.private, &p.private_profile),
            (l.goal, &p.goal),
        ] {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if !profile.is_empty() {
                profile.push('\n');
            }
            profile.push_str(label);
            profile.push_str(l.colon);
            profile.push_str(value);
        }
        parts.main_profile = profile;
        parts.public = or_none(&p.public_profile, l);
        parts.private = or_none(&p.private_profile, l);
        parts.goal = or_none(&p.goal, l);
    }
    let mut users = String::new();
    for c in others(tree, path) {
        if !users.is_empty() {
            users.push('\n');
        }
        users.push_str(&c.name);
        let public = c.public_profile.trim();
        if !public.is_empty() {
            users.push_str(l.colon);
            users.push_str(public);
        }
    }
    parts.user_profile = if users.is_empty() {
        l.none.to_owned()
    } else {
        users
    };
    let lines = dialogue(tree, path, chosen);
    parts.dialogue_context = if lines.is_empty() {
        l.no_dialogue.to_owned()
    } else {
        render_dialogue(&lines)
    };
    parts
}

/// Option lines: GAE `A: <speaker>: <utterance>`, IAE `A. <utterance>`.
#[must_use]
pub fn render_choices(kind: PromptKind, options: &[&Utterance]) -> String {
    let mut out = String::new();
    for (i, u) in options.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push(letter(i).unwrap_or('?'));
        match kind {
            PromptKind::Gae => {
                out.push_str(": ");
                out.push_str(&u.speaker);
                out.push_str(": ");
            }
            PromptKind::Iae => out.push_str(". "),
        }
        out.push_str(&u.text);
    }
    out
}

/// The parts of a GAE prompt at the end of `path` (node indices, root first), with `options`
/// in presented order. `chosen` as for [`dialogue`]: `Some` puts the protagonist's earlier
/// choices into the dialogue (our protocol), `None` leaves them out (the official one).
#[must_use]
pub fn gae_parts(
    tree: &WorldTree,
    path: &[usize],
    chosen: Option<&[(usize, usize)]>,
    options: &[&Utterance],
) -> PromptParts {
    let mut parts = common_parts(tree, path, chosen);
    parts.choices = render_choices(PromptKind::Gae, options);
    parts
}

/// The parts of an IAE prompt: context up to the item's choice node (`path` ends there), the
/// question, and the options in presented order.
#[must_use]
pub fn iae_parts(
    tree: &WorldTree,
    path: &[usize],
    chosen: Option<&[(usize, usize)]>,
    question: &str,
    options: &[&Utterance],
) -> PromptParts {
    let mut parts = common_parts(tree, path, chosen);
    parts.choices = render_choices(PromptKind::Iae, options);
    parts.question = question.trim().to_owned();
    parts
}

/// The rendered messages of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub system: Option<String>,
    pub user: String,
}

impl Prompt {
    /// System (if any) then user.
    #[must_use]
    pub fn messages(&self) -> Vec<ChatMessage> {
        let mut out = Vec::with_capacity(2);
        if let Some(s) = &self.system {
            out.push(ChatMessage::system(s.clone()));
        }
        out.push(ChatMessage::user(self.user.clone()));
        out
    }
}

/// Where a prompt set came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptSource {
    Builtin(Language),
    File(String),
}

/// The templates for one kind of evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptSet {
    system: Option<Template>,
    user: Template,
    source: PromptSource,
}

fn builtin_text(kind: PromptKind, language: Language) -> (&'static str, &'static str) {
    match (kind, language) {
        (PromptKind::Gae, Language::En) => (
            include_str!("templates/gae_system_en.txt"),
            include_str!("templates/gae_user_en.txt"),
        ),
        (PromptKind::Gae, Language::Zh) => (
            include_str!("templates/gae_system_zh.txt"),
            include_str!("templates/gae_user_zh.txt"),
        ),
        (PromptKind::Iae, Language::En) => (
            include_str!("templates/iae_system_en.txt"),
            include_str!("templates/iae_user_en.txt"),
        ),
        (PromptKind::Iae, Language::Zh) => (
            include_str!("templates/iae_system_zh.txt"),
            include_str!("templates/iae_user_zh.txt"),
        ),
    }
}

impl PromptSet {
    /// Our built-in prompts for `kind` in `language` (pick the tree's language).
    ///
    /// # Errors
    /// Never in a tested build (the built-ins are checked by the tests); the `Result` keeps a
    /// broken edit of a template file from panicking.
    pub fn builtin(kind: PromptKind, language: Language) -> Result<Self, TemplateError> {
        let (system, user) = builtin_text(kind, language);
        Ok(Self {
            system: Some(Template::parse(kind, system)?),
            user: Template::parse(kind, user)?,
            source: PromptSource::Builtin(language),
        })
    }

    /// The text of a built-in user template (to start a custom one from).
    #[must_use]
    pub fn builtin_user_text(kind: PromptKind, language: Language) -> &'static str {
        builtin_text(kind, language).1
    }

    /// A user template file, sent alone as the user message (`--prompt-template FILE`).
    ///
    /// # Errors
    /// As [`Template::load`].
    pub fn from_file(kind: PromptKind, path: &Path) -> Result<Self, TemplateError> {
        Ok(Self {
            system: None,
            user: Template::load(kind, path)?,
            source: PromptSource::File(path.display().to_string()),
        })
    }

    /// A user-only set from template text.
    ///
    /// # Errors
    /// As [`Template::parse`].
    pub fn from_text(kind: PromptKind, text: &str) -> Result<Self, TemplateError> {
        Ok(Self {
            system: None,
            user: Template::parse(kind, text)?,
            source: PromptSource::File(String::new()),
        })
    }

    #[must_use]
    pub const fn kind(&self) -> PromptKind {
        self.user.kind
    }

    #[must_use]
    pub const fn source(&self) -> &PromptSource {
        &self.source
    }

    #[must_use]
    pub const fn user_template(&self) -> &Template {
        &self.user
    }

    #[must_use]
    pub const fn system_template(&self) -> Option<&Template> {
        self.system.as_ref()
    }

    #[must_use]
    pub fn render(&self, parts: &PromptParts) -> Prompt {
        Prompt {
            system: self.system.as_ref().map(|t| t.render(parts)),
            user: self.user.render(parts),
        }
    }
}
