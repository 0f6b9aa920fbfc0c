//! Model runs in the TUI: the form that starts one, the list of runs, and one run's view (live
//! progress, results, episodes). The runs themselves go on in the background
//! ([`crate::eval::background`]); the screens read the store through the
//! [`super::app::SessionPort`].

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::i18n::Strings;
use crate::eval::progress::Snapshot;
use crate::eval::runs::{EpisodeRow, RunInfo};
use crate::eval::{EvalKind, EvalTree, Protocol, Report, RunSettings, Tally};

/// What the form asks the port to start.
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    pub trees: Vec<EvalTree>,
    pub endpoint: String,
    pub model: String,
    pub kind: EvalKind,
    pub protocol: Protocol,
    /// Episodes per tree (GAE).
    pub episodes: u32,
    pub concurrency: usize,
    /// Most tokens per answer; `None`: the server's limit.
    pub max_tokens: Option<u32>,
}

/// One run read back from the store.
#[derive(Debug, Clone, Default)]
pub struct RunData {
    pub settings: Option<RunSettings>,
    pub report: Option<(Report, Tally)>,
    pub episodes: Vec<EpisodeRow>,
}

/// The fields of the form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Endpoint,
    Model,
    Metric,
    Protocol,
    Episodes,
    Concurrency,
    MaxTokens,
    Scripts,
}

impl Field {
    pub const ALL: [Self; 8] = [
        Self::Endpoint,
        Self::Model,
        Self::Metric,
        Self::Protocol,
        Self::Episodes,
        Self::Concurrency,
        Self::MaxTokens,
        Self::Scripts,
    ];

    /// The label shown in the form.
    #[must_use]
    pub const fn label(self, s: &Strings) -> &'static str {
        match self {
            Self::Endpoint => s.f_endpoint,
            Self::Model => s.f_model,
            Self::Metric => s.f_metric,
            Self::Protocol => s.f_protocol,
            Self::Episodes => s.f_episodes,
            Self::Concurrency => s.f_concurrency,
            Self::MaxTokens => s.f_max_tokens,
            Self::Scripts => s.f_scripts,
        }
    }
}

/// The form that starts a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunForm {
    pub endpoint: String,
    pub model: String,
    pub kind: EvalKind,
    pub protocol: Protocol,
    pub episodes: String,
    pub concurrency: String,
    /// Empty: the server's limit.
    pub max_tokens: String,
    /// All scripts listed in the library (filters applied), or only the selected one.
    pub all_listed: bool,
    /// How many scripts the library lists.
    pub listed: usize,
    /// The selected script's title.
    pub selected_title: Option<String>,
    pub focus: usize,
    pub error: Option<String>,
}

/// What a key did to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKey {
    Stay,
    Cancel,
    Submit,
}

/// The form's values, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormValues {
    pub endpoint: String,
    pub model: String,
    pub kind: EvalKind,
    pub protocol: Protocol,
    pub episodes: u32,
    pub concurrency: usize,
    pub max_tokens: Option<u32>,
    pub all_listed: bool,
}

impl RunForm {
    /// A form with the remembered endpoint and model.
    #[must_use]
    pub fn new(
        endpoint: Option<String>,
        model: Option<String>,
        listed: usize,
        selected_title: Option<String>,
    ) -> Self {
        Self {
            endpoint: endpoint.unwrap_or_else(|| "http://127.0.0.1:8080/v1".to_owned()),
            model: model.unwrap_or_default(),
            kind: EvalKind::Gae,
            protocol: Protocol::Socius,
            episodes: crate::eval::settings::DEFAULT_EPISODES.to_string(),
            concurrency: "8".to_owned(),
            max_tokens: String::new(),
            all_listed: true,
            listed,
            selected_title,
            // Start on the model when the endpoint is known.
            focus: 1,
            error: None,
        }
    }

    /// The field with the focus.
    #[must_use]
    pub fn field(&self) -> Field {
        Field::ALL[self.focus.min(Field::ALL.len() - 1)]
    }

    /// The shown value of a field.
    #[must_use]
    pub fn value(&self, field: Field, s: &Strings) -> String {
        match field {
            Field::Endpoint => self.endpoint.clone(),
            Field::Model => self.model.clone(),
            Field::Metric => match self.kind {
                EvalKind::Gae => "GAE".to_owned(),
                EvalKind::Iae => "IAE".to_owned(),
            },
            Field::Protocol => self.protocol.name().to_owned(),
            Field::Episodes => match self.kind {
                EvalKind::Gae => self.episodes.clone(),
                EvalKind::Iae => "—".to_owned(),
            },
            Field::Concurrency => self.concurrency.clone(),
            Field::MaxTokens if self.max_tokens.is_empty() => s.server_limit.to_owned(),
            Field::MaxTokens => self.max_tokens.clone(),
            Field::Scripts => {
                if self.all_listed {
                    s.scope_listed.replace("{n}", &self.listed.to_string())
                } else {
                    self.selected_title
                        .clone()
                        .unwrap_or_else(|| s.scope_selected.to_owned())
                }
            }
        }
    }

    fn text_mut(&mut self) -> Option<(&mut String, bool)> {
        match self.field() {
            Field::Endpoint => Some((&mut self.endpoint, false)),
            Field::Model => Some((&mut self.model, false)),
            Field::Episodes if self.kind == EvalKind::Gae => Some((&mut self.episodes, true)),
            Field::Concurrency => Some((&mut self.concurrency, true)),
            Field::MaxTokens => Some((&mut self.max_tokens, true)),
            _ => None,
        }
    }

    fn toggle(&mut self) {
        match self.field() {
            Field::Metric => {
                self.kind = match self.kind {
                    EvalKind::Gae => EvalKind::Iae,
                    EvalKind::Iae => EvalKind::Gae,
                };
            }
            Field::Protocol => {
                self.protocol = match self.protocol {
                    Protocol::Socius => Protocol::Socialeval,
                    Protocol::Socialeval => Protocol::Socius,
                };
            }
            Field::Scripts if self.selected_title.is_some() => self.all_listed = !self.all_listed,
            _ => {}
        }
    }

    /// Handle one key.
    pub fn key(&mut self, key: KeyEvent) -> FormKey {
        let n = Field::ALL.len();
        match key.code {
            KeyCode::Esc => return FormKey::Cancel,
            KeyCode::Enter => return FormKey::Submit,
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + n - 1) % n,
            KeyCode::Left | KeyCode::Right => self.toggle(),
            KeyCode::Char(' ') if self.text_mut().is_none() => self.toggle(),
            KeyCode::Backspace => {
                if let Some((text, _)) = self.text_mut() {
                    text.pop();
                }
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some((text, _)) = self.text_mut() {
                    text.clear();
                }
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some((text, digits)) = self.text_mut()
                    && (!digits || c.is_ascii_digit())
                {
                    text.push(c);
                }
            }
            _ => {}
        }
        self.error = None;
        FormKey::Stay
    }

    /// Paste into the focused text field.
    pub fn paste(&mut self, text: &str) {
        if let Some((field, digits)) = self.text_mut() {
            field.extend(
                text.chars()
                    .filter(|c| !c.is_control() && (!digits || c.is_ascii_digit())),
            );
        }
    }

    /// The values, or what is wrong (with the focus moved to the field).
    ///
    /// # Errors
    /// An empty endpoint or model, a number that is not a whole number from 1.
    pub fn values(&mut self) -> Result<FormValues, FormError> {
        let fail = |form: &mut Self, field: Field, error: FormError| {
            form.focus = Field::ALL.iter().position(|f| *f == field).unwrap_or(0);
            Err(error)
        };
        let endpoint = self.endpoint.trim().to_owned();
        if endpoint.is_empty() {
            return fail(self, Field::Endpoint, FormError::NoEndpoint);
        }
        let model = self.model.trim().to_owned();
        if model.is_empty() {
            return fail(self, Field::Model, FormError::NoModel);
        }
        let number = |text: &str| {
            text.parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
        };
        let episodes = match self.kind {
            EvalKind::Gae => match number(&self.episodes) {
                Some(n) => n,
                None => return fail(self, Field::Episodes, FormError::BadEpisodes),
            },
            EvalKind::Iae => 1,
        };
        let Some(concurrency) = number(&self.concurrency).filter(|n| *n <= MAX_CONCURRENCY) else {
            return fail(self, Field::Concurrency, FormError::BadConcurrency);
        };
        let max_tokens = if self.max_tokens.is_empty() {
            None
        } else {
            match number(&self.max_tokens) {
                Some(n) => Some(n),
                None => return fail(self, Field::MaxTokens, FormError::BadMaxTokens),
            }
        };
        Ok(FormValues {
            endpoint,
            model,
            kind: self.kind,
            protocol: self.protocol,
            episodes,
            concurrency: usize::try_from(concurrency).unwrap_or(8),
            max_tokens,
            all_listed: self.all_listed || self.selected_title.is_none(),
        })
    }
}

/// The most requests a run from the form may have in flight.
const MAX_CONCURRENCY: u32 = 512;

/// What is wrong with the run form's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    NoEndpoint,
    NoModel,
    /// Episodes per tree is not a whole number from 1 to 100,000.
    BadEpisodes,
    /// Concurrency is not a whole number from 1 to 512.
    BadConcurrency,
    /// The token limit is set but not a whole number from 1 to 100,000.
    BadMaxTokens,
}

impl FormError {
    /// The message shown in the form, in the interface's language.
    #[must_use]
    pub fn message(self, s: &Strings) -> String {
        match self {
            Self::NoEndpoint => s.need_endpoint.to_owned(),
            Self::NoModel => s.need_model.to_owned(),
            Self::BadEpisodes => format!("{}: {}", s.f_episodes, s.bad_number),
            Self::BadConcurrency => {
                format!(
                    "{}: {} (≤ {MAX_CONCURRENCY})",
                    s.f_concurrency, s.bad_number
                )
            }
            Self::BadMaxTokens => format!("{}: {}", s.f_max_tokens, s.bad_number),
        }
    }
}

/// The list of runs.
#[derive(Debug, Clone, Default)]
pub struct RunsList {
    pub rows: Vec<RunInfo>,
    pub selected: usize,
}

/// Which half of a run's view has the keys (both show side by side on wide screens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunPane {
    #[default]
    Episodes,
    Results,
}

/// Where the live run on screen stands, as the view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// Not the run going on in this program (a past run, or one from `socius eval`).
    Stored,
    Running {
        snapshot: Snapshot,
        stopping: bool,
        last_error: Option<String>,
    },
    /// Ended here: a line saying how, and the command that continues it if it stopped early.
    Ended {
        snapshot: Snapshot,
        line: String,
        resume: Option<String>,
        error: bool,
    },
}

/// One run's view.
#[derive(Debug, Clone)]
pub struct RunView {
    pub run_id: String,
    pub data: RunData,
    pub live: Live,
    pub pane: RunPane,
    pub selected: usize,
    pub results_scroll: usize,
    /// When the data was last read, and the counters then (to refresh only on change).
    pub refreshed: Instant,
    pub seen: (usize, usize),
}

/// How often a live run's view reads the store again at most.
pub const REFRESH: Duration = Duration::from_millis(700);

impl RunView {
    #[must_use]
    pub fn new(run_id: String, data: RunData, live: Live) -> Self {
        Self {
            run_id,
            data,
            live,
            pane: RunPane::Episodes,
            selected: 0,
            results_scroll: 0,
            refreshed: Instant::now(),
            seen: (0, 0),
        }
    }
}

/// The command that continues a run from the command line.
#[must_use]
pub fn resume_command(settings: Option<&RunSettings>, run_id: &str, endpoint: &str) -> String {
    let metric = settings.map_or("gae", |s| s.kind.name());
    let model = settings.map_or("MODEL", |s| s.model.as_str());
    format!(
        "socius eval {metric} --resume {run_id} --scripts SCRIPTS --endpoint {endpoint} --model {model}"
    )
}
