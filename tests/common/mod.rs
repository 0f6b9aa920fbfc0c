//! Helpers shared by the TUI tests.
#![allow(dead_code)]

pub mod walks;

use std::collections::VecDeque;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use socius::driver::{Recorder, Replay};
use socius::tui::app::{
    App, Detail, Msg, Options, PortError, ResumeInfo, SessionPort, StartRequest,
};
use socius::tui::i18n::Lang;
use socius::tui::run::{Scripted, run_loop};
use socius::tui::theme::Theme;
use socius::tui::views::home::SessionRow;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A port that records nothing: for screens that do not depend on the store.
pub struct NullPort;

impl SessionPort for NullPort {
    fn start(&mut self, _: &StartRequest<'_>) -> Result<Box<dyn Recorder>, PortError> {
        Ok(Box::new(Replay))
    }
    fn rows(&self) -> Result<Vec<SessionRow>, PortError> {
        Ok(Vec::new())
    }
    fn resume(&mut self, id: &str) -> Result<ResumeInfo, PortError> {
        Err(PortError::NoSession(id.to_owned()))
    }
    fn detail(&self, id: &str) -> Result<Detail, PortError> {
        Err(PortError::NoSession(id.to_owned()))
    }
}

pub fn options(lang: Lang, scripts: Vec<PathBuf>) -> Options {
    Options {
        lang,
        theme: Theme::builtin_default(),
        scripts,
        config_dir: None,
        annotator: Some("ann-test".to_owned()),
        base_seed: 0,
        store_label: "sessions".to_owned(),
        training: false,
        cache_dir: None,
    }
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn enter() -> Msg {
    code(KeyCode::Enter)
}

/// Feed messages to the app through the real loop on a TestBackend; return the screen text as a
/// fresh terminal of the same size shows it. (A TestBackend that has drawn several screens
/// keeps, under the second half of a wide glyph, whatever an earlier screen left there; a real
/// terminal shows the glyph over both cells. The fresh screen is what a person sees.)
pub fn drive(app: &mut App, term: &mut Terminal<TestBackend>, msgs: Vec<Msg>) -> String {
    let mut src = Scripted(VecDeque::from(msgs));
    run_loop(term, app, &mut src).expect("loop");
    let area = term.backend().buffer().area;
    let mut fresh_term = terminal(area.width, area.height);
    run_loop(&mut fresh_term, app, &mut Scripted(VecDeque::new())).expect("loop");
    screen(&fresh_term)
}

/// The screen as text, one line per row (wide characters occupy their cells once).
pub fn screen(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut skip = 0usize;
        for x in 0..area.width {
            let sym = buf[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                // The cell under the second half of a wide glyph must be empty; anything else
                // (a border left from another screen) is shown, so a snapshot catches it.
                if !sym.is_empty() && sym != " " {
                    out.push_str(sym);
                }
                continue;
            }
            out.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

pub fn terminal(w: u16, h: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(w, h)).expect("terminal")
}
