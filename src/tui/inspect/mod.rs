//! `socius inspect SCRIPT`: the branch inspector, a screen of its own. The tree of one world
//! tree (nodes → choices → target nodes) with how often each choice was taken, on the left;
//! the selected node's dialogue or the selected choice's details on the right (below on
//! narrow terminals). The numbers come from [`crate::report::inspect`].

pub mod cache;

use std::collections::HashMap;
use std::io;
use std::sync::mpsc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::backend::Backend;
use ratatui::{Terminal, text::Line};
use tui_tree_widget::{TreeItem, TreeState};

use super::app::Msg;
use super::i18n::Lang;
use super::run::EventSource;
use super::theme::Theme;
use crate::report::inspect::{Agent, CallNote, Inspection, View, calls_at};
use crate::script::model::WorldTree;
use crate::session::SessionId;
use crate::store::Store;

/// Most model replies read and listed for one choice.
pub const MAX_REPLIES: usize = 30;

/// The model calls read for one choice under one filter.
pub type Replies = Vec<(Agent, SessionId, Vec<CallNote>)>;

/// What an item of the tree widget stands for. Siblings are told apart by these; a path of
/// them names one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    /// A node (index in the tree).
    Node(usize),
    /// A choice of the parent node (index in its node).
    Choice(usize),
}

/// The inspector's state.
#[derive(Debug)]
pub struct Inspector {
    pub tree: WorldTree,
    pub stats: Inspection,
    pub lang: Lang,
    pub theme: Theme,
    /// Filters `f` cycles through: everyone, people, models, then each agent.
    pub views: Vec<View>,
    pub view: usize,
    /// The two agents compared (`--compare`, else the first two).
    pub pair: Option<(Agent, Agent)>,
    pub comparing: bool,
    pub help: bool,
    /// A one-line message (why `c` did nothing).
    pub message: Option<String>,
    pub scroll: u16,
    pub state: TreeState<Key>,
    pub items: Vec<TreeItem<'static, Key>>,
    /// Where the model calls are read from when a choice is selected, and the tree's hash.
    store: Option<(Store, String)>,
    /// The replies read so far, by (node, choice, filter, comparing).
    pub replies: HashMap<(usize, usize, usize, bool), Result<Replies, String>>,
    quit: bool,
}

impl Inspector {
    /// The inspector on `tree` with its numbers. `view` starts the filter (`--as`/`--who`),
    /// `pair` is `--compare`.
    #[must_use]
    pub fn new(
        tree: WorldTree,
        stats: Inspection,
        lang: Lang,
        theme: Theme,
        view: Option<View>,
        pair: Option<(Agent, Agent)>,
    ) -> Self {
        let mut views = vec![View::All, View::Humans, View::Models];
        views.extend(stats.agents.iter().cloned().map(View::One));
        let view = match view {
            Some(v) => views.iter().position(|x| *x == v).unwrap_or_else(|| {
                views.push(v);
                views.len() - 1
            }),
            None => 0,
        };
        let comparing = pair.is_some();
        let pair = pair.or_else(|| match stats.agents.as_slice() {
            [a, b, ..] => Some((a.clone(), b.clone())),
            _ => None,
        });
        let mut me = Self {
            tree,
            stats,
            lang,
            theme,
            views,
            view,
            pair,
            comparing,
            help: false,
            message: None,
            scroll: 0,
            state: TreeState::default(),
            items: Vec::new(),
            store: None,
            replies: HashMap::new(),
            quit: false,
        };
        me.rebuild();
        if let Some(start) = me.tree.start() {
            let root = vec![Key::Node(start)];
            me.state.open(root.clone());
            // The first choices open too, so the first screen shows numbers.
            for c in 0..me.tree.nodes[start].choices.len() {
                me.state.open(vec![Key::Node(start), Key::Choice(c)]);
            }
            me.state.select(root);
        }
        me
    }

    /// Read the models' explanations and replies from `store` (`hash`: the tree version's
    /// content hash) when a choice is selected.
    #[must_use]
    pub fn with_store(mut self, store: Store, hash: String) -> Self {
        self.store = Some((store, hash));
        self.load_replies();
        self
    }

    /// The replies of the selected choice under the current filter, read now if they were not.
    pub fn load_replies(&mut self) {
        let Some((n, Some(c))) = self.selection() else {
            return;
        };
        let key = (n, c, self.view, self.comparing);
        if self.replies.contains_key(&key) {
            return;
        }
        let Some((store, hash)) = &self.store else {
            return;
        };
        let Some(stats) = self.stats.nodes.get(n).and_then(|s| s.choices.get(c)) else {
            return;
        };
        let wanted = |a: &Agent| match (&self.pair, self.comparing) {
            (Some((x, y)), true) => a == x || a == y,
            _ => self.views[self.view].counts(a),
        };
        let sessions: Vec<SessionId> = stats
            .takers
            .iter()
            .filter(|(a, _)| wanted(a))
            .map(|(_, id)| *id)
            .take(MAX_REPLIES)
            .collect();
        let read = calls_at(store, &self.tree, hash, &sessions, n, c).map_err(|e| e.to_string());
        self.replies.insert(key, read);
    }

    /// The replies read for the selected choice, if any.
    #[must_use]
    pub fn current_replies(&self) -> Option<&Result<Replies, String>> {
        let (n, Some(c)) = self.selection()? else {
            return None;
        };
        self.replies.get(&(n, c, self.view, self.comparing))
    }

    /// The filter in use.
    #[must_use]
    pub fn current_view(&self) -> &View {
        &self.views[self.view]
    }

    /// Rebuild the tree widget's items (labels carry the numbers of the current filter).
    pub fn rebuild(&mut self) {
        self.items = crate::tui::views::inspect::items(self);
    }

    #[must_use]
    pub const fn quitting(&self) -> bool {
        self.quit
    }

    /// One key.
    pub fn key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        self.message = None;
        if self.help {
            self.help = false;
            return;
        }
        let moved = match key.code {
            KeyCode::Char('q') | KeyCode::Esc => {
                self.quit = true;
                false
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.quit = true;
                false
            }
            KeyCode::Up | KeyCode::Char('k') => self.state.key_up(),
            KeyCode::Down | KeyCode::Char('j') => self.state.key_down(),
            KeyCode::Left | KeyCode::Char('h') => self.state.key_left(),
            KeyCode::Right | KeyCode::Char('l') => self.state.key_right(),
            KeyCode::Enter | KeyCode::Char(' ') => self.state.toggle_selected(),
            KeyCode::Home | KeyCode::Char('g') => self.state.select_first(),
            KeyCode::End | KeyCode::Char('G') => self.state.select_last(),
            KeyCode::PageDown => {
                self.scroll = self.scroll.saturating_add(8);
                false
            }
            KeyCode::PageUp => {
                self.scroll = self.scroll.saturating_sub(8);
                false
            }
            KeyCode::Char('f') => {
                self.view = (self.view + 1) % self.views.len();
                self.rebuild();
                false
            }
            KeyCode::Char('c') => {
                if self.pair.is_some() {
                    self.comparing = !self.comparing;
                    self.rebuild();
                } else {
                    self.message = Some(self.lang.inspect().compare_needs_two.to_owned());
                }
                false
            }
            KeyCode::Char('?') => {
                self.help = true;
                false
            }
            _ => false,
        };
        if moved {
            self.scroll = 0;
        }
        self.load_replies();
    }

    /// What the selected row names: a node, or a choice of a node.
    #[must_use]
    pub fn selection(&self) -> Option<(usize, Option<usize>)> {
        let path = self.state.selected();
        match path {
            [.., Key::Node(n), Key::Choice(c)] => Some((*n, Some(*c))),
            [.., Key::Node(n)] => Some((*n, None)),
            _ => None,
        }
    }

    /// Draw the whole screen.
    pub fn draw(&mut self, frame: &mut Frame<'_>) {
        crate::tui::views::inspect::render(frame, self);
    }

    /// The rows of the details pane (for tests and the view).
    #[must_use]
    pub fn detail_lines(&self, width: usize) -> Vec<Line<'static>> {
        crate::tui::views::inspect::detail(self, width)
    }
}

/// Run the inspector until it quits or `source` ends (tests): draw at the start and after
/// every batch of input.
///
/// # Errors
/// Drawing or reading failed.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    inspector: &mut Inspector,
    source: &mut dyn EventSource,
) -> io::Result<()>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let (tx, rx) = mpsc::channel();
    const END: u64 = 1;
    source.attach(tx, END)?;
    terminal
        .draw(|f| inspector.draw(f))
        .map_err(io::Error::other)?;
    let result = loop {
        let Ok(msg) = rx.recv() else {
            break Ok(());
        };
        let mut next = Some(msg);
        let mut ended = false;
        while let Some(msg) = next.take() {
            match msg {
                Msg::Key(k) => inspector.key(k),
                Msg::Signal(_) | Msg::InputClosed => inspector.quit = true,
                Msg::End(_) => ended = true,
                _ => {}
            }
            if inspector.quitting() {
                break;
            }
            next = rx.try_recv().ok();
        }
        if inspector.quitting() {
            break Ok(());
        }
        if let Err(e) = terminal.draw(|f| inspector.draw(f)) {
            break Err(io::Error::other(e));
        }
        if ended {
            break Ok(());
        }
    };
    source.detach();
    result
}

/// Run the inspector in the real terminal, restoring it on every way out (quit, error, panic,
/// a terminating signal). Returns the signal that ended it, if one did.
///
/// # Errors
/// The terminal could not be set up, read or drawn.
pub fn run_terminal(inspector: &mut Inspector) -> io::Result<Option<i32>> {
    let mut source = super::run::Crossterm::with_signals()?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        ratatui::restore();
        previous(info);
    }));
    let mut terminal = ratatui::try_init()?;
    let result = run_loop(&mut terminal, inspector, &mut source);
    ratatui::restore();
    let _ = std::panic::take_hook();
    result?;
    if source.closed() {
        return Err(io::Error::other("the terminal went away"));
    }
    Ok(source.signal())
}
