//! Colour themes: roles named by meaning, loaded from YAML. The three built-ins are embedded;
//! a file `NAME.yaml` in the user theme directory overrides a built-in of the same name or adds
//! a new one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// Built-in themes, embedded at compile time.
pub const BUILTIN: [(&str, &str); 3] = [
    ("default", include_str!("../../themes/default.yaml")),
    ("light", include_str!("../../themes/light.yaml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.yaml"),
    ),
];

/// Every role a theme defines.
pub const ROLES: [&str; 18] = [
    "text",
    "muted",
    "narration",
    "heading",
    "accent",
    "border",
    "border_focus",
    "selection",
    "option_number",
    "protagonist",
    "success",
    "partial",
    "failure",
    "warning",
    "error",
    "status_bar",
    "key",
    "question",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    roles: BTreeMap<String, StyleSpec>,
    #[serde(default)]
    speakers: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
}

/// A resolved theme.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub narration: Style,
    pub heading: Style,
    pub accent: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selection: Style,
    pub option_number: Style,
    pub protagonist: Style,
    pub success: Style,
    pub partial: Style,
    pub failure: Style,
    pub warning: Style,
    pub error: Style,
    pub status_bar: Style,
    pub key: Style,
    pub question: Style,
    /// Colours handed out to speakers, stable per name.
    pub speakers: Vec<Color>,
}

/// What is wrong with a theme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("`{0}` is not a #rrggbb colour")]
    Hex(String),
    #[error("unknown colour `{0}`")]
    Colour(String),
    #[error("unknown role `{role}` (roles: {known})")]
    UnknownRole { role: String, known: String },
    #[error("missing role `{0}`")]
    MissingRole(String),
    #[error("role `{role}`: {error}")]
    InRole {
        role: String,
        error: Box<ThemeError>,
    },
    #[error("speakers: {0}")]
    Speakers(Box<ThemeError>),
    #[error("`speakers` needs at least one colour")]
    NoSpeakers,
    #[error("{0}")]
    Yaml(String),
    /// A user theme file that could not be read or is wrong.
    #[error("{}: {message}", .path.display())]
    File { path: PathBuf, message: String },
    #[error(
        "unknown theme `{name}` (built-in: {builtin}; or put {name}.yaml in the user theme folder)"
    )]
    Unknown { name: String, builtin: String },
}

/// Parse a colour: a name, `#rrggbb`, an index 0–255, or `reset`.
///
/// # Errors
/// An unknown colour.
pub fn parse_color(s: &str) -> Result<Color, ThemeError> {
    let lower = s.trim().to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix('#') {
        if hex.len() == 6
            && let Ok(v) = u32::from_str_radix(hex, 16)
        {
            let [_, r, g, b] = v.to_be_bytes();
            return Ok(Color::Rgb(r, g, b));
        }
        return Err(ThemeError::Hex(s.to_owned()));
    }
    if let Ok(i) = lower.parse::<u8>() {
        return Ok(Color::Indexed(i));
    }
    Ok(match lower.as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return Err(ThemeError::Colour(s.to_owned())),
    })
}

fn resolve(spec: &StyleSpec) -> Result<Style, ThemeError> {
    let mut style = Style::default();
    if let Some(fg) = &spec.fg {
        style = style.fg(parse_color(fg)?);
    }
    if let Some(bg) = &spec.bg {
        style = style.bg(parse_color(bg)?);
    }
    let mut m = Modifier::empty();
    if spec.bold {
        m |= Modifier::BOLD;
    }
    if spec.italic {
        m |= Modifier::ITALIC;
    }
    if spec.underline {
        m |= Modifier::UNDERLINED;
    }
    Ok(style.add_modifier(m))
}

impl Theme {
    /// Parse a theme file's text.
    ///
    /// # Errors
    /// YAML errors, unknown or missing roles, bad colours — with the role named.
    pub fn parse(text: &str) -> Result<Self, ThemeError> {
        let file: ThemeFile =
            crate::script::yaml::from_str(text).map_err(|e| ThemeError::Yaml(e.to_string()))?;
        for key in file.roles.keys() {
            if !ROLES.contains(&key.as_str()) {
                return Err(ThemeError::UnknownRole {
                    role: key.clone(),
                    known: ROLES.join(", "),
                });
            }
        }
        let role = |name: &str| -> Result<Style, ThemeError> {
            let spec = file
                .roles
                .get(name)
                .ok_or_else(|| ThemeError::MissingRole(name.to_owned()))?;
            resolve(spec).map_err(|e| ThemeError::InRole {
                role: name.to_owned(),
                error: Box::new(e),
            })
        };
        let speakers = file
            .speakers
            .iter()
            .map(|s| parse_color(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ThemeError::Speakers(Box::new(e)))?;
        if speakers.is_empty() {
            return Err(ThemeError::NoSpeakers);
        }
        Ok(Self {
            name: file.name.clone(),
            text: role("text")?,
            muted: role("muted")?,
            narration: role("narration")?,
            heading: role("heading")?,
            accent: role("accent")?,
            border: role("border")?,
            border_focus: role("border_focus")?,
            selection: role("selection")?,
            option_number: role("option_number")?,
            protagonist: role("protagonist")?,
            success: role("success")?,
            partial: role("partial")?,
            failure: role("failure")?,
            warning: role("warning")?,
            error: role("error")?,
            status_bar: role("status_bar")?,
            key: role("key")?,
            question: role("question")?,
            speakers,
        })
    }

    /// The built-in default theme.
    #[must_use]
    pub fn builtin_default() -> Self {
        // The embedded file is tested to parse; fall back to plain styles if it ever did not.
        Self::parse(BUILTIN[0].1).unwrap_or_else(|_| Self::plain())
    }

    /// Unstyled: used only if an embedded theme were broken.
    #[must_use]
    pub fn plain() -> Self {
        let s = Style::default();
        Self {
            name: "plain".to_owned(),
            text: s,
            muted: s,
            narration: s,
            heading: s,
            accent: s,
            border: s,
            border_focus: s,
            selection: s.add_modifier(Modifier::REVERSED),
            option_number: s,
            protagonist: s,
            success: s,
            partial: s,
            failure: s,
            warning: s,
            error: s,
            status_bar: s.add_modifier(Modifier::REVERSED),
            key: s.add_modifier(Modifier::REVERSED),
            question: s,
            speakers: vec![Color::Reset],
        }
    }

    /// Load a theme by name: the user directory first, then the built-ins.
    ///
    /// # Errors
    /// An unknown name, or a user file that does not parse (named in the message).
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Self, ThemeError> {
        if let Some(dir) = user_dir {
            let path = dir.join(format!("{name}.yaml"));
            if path.is_file() {
                let text =
                    crate::fsx::read_text(&path, crate::fsx::MAX_SMALL_BYTES).map_err(|e| {
                        ThemeError::File {
                            path: path.clone(),
                            message: e.to_string(),
                        }
                    })?;
                return Self::parse(&text).map_err(|e| ThemeError::File {
                    path,
                    message: e.to_string(),
                });
            }
        }
        let (_, text) =
            BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| ThemeError::Unknown {
                    name: name.to_owned(),
                    builtin: BUILTIN
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
        Self::parse(text)
    }

    /// The `i`-th speaker colour (bold), for speakers with fixed places (a CR dialogue's
    /// therapist and client).
    #[must_use]
    pub fn speaker_at(&self, i: usize) -> Style {
        let n = self.speakers.len().max(1);
        Style::default()
            .fg(self.speakers.get(i % n).copied().unwrap_or(Color::Reset))
            .add_modifier(Modifier::BOLD)
    }

    /// The stable colour of a speaker.
    #[must_use]
    pub fn speaker(&self, name: &str) -> Style {
        let mut h: u32 = 2_166_136_261;
        for b in name.bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(16_777_619);
        }
        let n = u32::try_from(self.speakers.len()).unwrap_or(1).max(1);
        let idx = usize::try_from(h % n).unwrap_or(0);
        Style::default()
            .fg(self.speakers.get(idx).copied().unwrap_or(Color::Reset))
            .add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_define_every_role() {
        for (name, text) in BUILTIN {
            let theme = Theme::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(theme.name, name);
        }
    }

    #[test]
    fn user_directory_overrides_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let custom = BUILTIN[0].1.replace("name: default", "name: mine");
        std::fs::write(dir.path().join("default.yaml"), custom).expect("write");
        let t = Theme::load("default", Some(dir.path())).expect("load");
        assert_eq!(t.name, "mine");
        assert_eq!(
            Theme::load("light", Some(dir.path())).expect("light").name,
            "light"
        );
        let err = Theme::load("neon", Some(dir.path()))
            .expect_err("unknown")
            .to_string();
        assert!(err.contains("unknown theme `neon`"), "{err}");
    }

    #[test]
    fn bad_themes_name_the_problem() {
        let err = Theme::parse("name: x\nroles: {text: {fg: purple}}\nspeakers: [red]\n")
            .expect_err("bad colour")
            .to_string();
        assert!(
            err.contains("unknown role") || err.contains("purple"),
            "{err}"
        );
        let broken = BUILTIN[0]
            .1
            .replace("fg: yellow, bold: true}", "fg: chartreuse}");
        let err = Theme::parse(&broken).expect_err("bad colour").to_string();
        assert!(err.contains("chartreuse"), "{err}");
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_color("238"), Ok(Color::Indexed(238)));
    }

    #[test]
    fn speaker_colours_are_stable() {
        let t = Theme::builtin_default();
        assert_eq!(t.speaker("Tom"), t.speaker("Tom"));
    }
}
