//! The UI loop and the terminal: raw mode, alternate screen, mouse capture and bracketed paste
//! are set up here and undone on every way out — normal quit, error, and panic.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event,
};
use crossterm::execute;
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::app::{App, Msg};

/// Where messages come from: the terminal, or a script of events in tests.
pub trait EventSource {
    /// The next message, blocking; `None` ends the loop. With `tick`, a source that waits for
    /// input returns [`Msg::Tick`] when nothing came for that long.
    ///
    /// # Errors
    /// Reading the terminal failed.
    fn next(&mut self, tick: Option<Duration>) -> io::Result<Option<Msg>>;

    /// Whether another message is already waiting (the loop draws only when none is).
    ///
    /// # Errors
    /// Reading the terminal failed.
    fn pending(&mut self) -> io::Result<bool>;
}

/// Scripted messages (tests, headless runs).
#[derive(Debug, Default)]
pub struct Scripted(pub VecDeque<Msg>);

impl EventSource for Scripted {
    fn next(&mut self, _tick: Option<Duration>) -> io::Result<Option<Msg>> {
        Ok(self.0.pop_front())
    }

    fn pending(&mut self) -> io::Result<bool> {
        Ok(!self.0.is_empty())
    }
}

/// The real terminal. It also watches for SIGTERM, SIGINT, SIGHUP and SIGQUIT sent from
/// outside: the loop then ends like a quit, so the terminal is restored (everything answered
/// is already in the store). A second such signal while it shuts down ends the process at once.
#[derive(Debug, Default)]
pub struct Crossterm {
    signals: Option<Signals>,
}

/// The signals that end the UI, each with the flag its handler sets.
#[derive(Debug)]
struct Signals {
    flags: Vec<(i32, Arc<AtomicBool>)>,
}

/// How often the loop looks at the signal flags while nothing else happens.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

impl Signals {
    fn install() -> io::Result<Self> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
        let mut flags = Vec::new();
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGQUIT] {
            let flag = Arc::new(AtomicBool::new(false));
            // Registered first, so it runs on the second signal: the default action (exit).
            signal_hook::flag::register_conditional_default(sig, Arc::clone(&flag))?;
            signal_hook::flag::register(sig, Arc::clone(&flag))?;
            flags.push((sig, flag));
        }
        Ok(Self { flags })
    }

    fn received(&self) -> Option<i32> {
        self.flags
            .iter()
            .find(|(_, f)| f.load(Ordering::SeqCst))
            .map(|(sig, _)| *sig)
    }
}

impl Crossterm {
    /// The real terminal, with the signal handlers installed.
    ///
    /// # Errors
    /// A signal handler could not be installed.
    pub fn with_signals() -> io::Result<Self> {
        Ok(Self {
            signals: Some(Signals::install()?),
        })
    }

    /// The signal that ended the loop, if one did.
    #[must_use]
    pub fn signal(&self) -> Option<i32> {
        self.signals.as_ref().and_then(Signals::received)
    }
}

fn translate(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Paste(p) => Some(Msg::Paste(p)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

impl EventSource for Crossterm {
    fn next(&mut self, tick: Option<Duration>) -> io::Result<Option<Msg>> {
        let started = Instant::now();
        loop {
            if self.signal().is_some() {
                return Ok(None);
            }
            let wait = match tick {
                Some(t) => t.saturating_sub(started.elapsed()).min(SIGNAL_POLL),
                None => SIGNAL_POLL,
            };
            if !event::poll(wait)? {
                if tick.is_some_and(|t| started.elapsed() >= t) {
                    return Ok(Some(Msg::Tick));
                }
                continue;
            }
            if let Some(msg) = translate(event::read()?) {
                return Ok(Some(msg));
            }
        }
    }

    fn pending(&mut self) -> io::Result<bool> {
        event::poll(Duration::ZERO)
    }
}

/// Run the loop until the app quits or the source ends. Draws once at the start and after
/// each batch of queued messages.
///
/// # Errors
/// Drawing or reading failed.
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    source: &mut dyn EventSource,
) -> io::Result<()>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    terminal.draw(|f| app.draw(f)).map_err(io::Error::other)?;
    while let Some(msg) = source.next(app.tick_interval())? {
        app.update(msg);
        while !app.quit && source.pending()? {
            match source.next(None)? {
                Some(msg) => app.update(msg),
                None => break,
            }
        }
        if app.quit {
            break;
        }
        terminal.draw(|f| app.draw(f)).map_err(io::Error::other)?;
    }
    Ok(())
}

fn restore_extras() {
    let _ = execute!(io::stdout(), DisableMouseCapture, DisableBracketedPaste);
}

/// Run the app in the real terminal, restoring it on every exit path: quit, error, panic, and
/// a terminating signal. Returns the signal that ended it, if one did.
///
/// # Errors
/// The terminal could not be set up, read or drawn.
pub fn run_terminal(app: &mut App) -> io::Result<Option<i32>> {
    let mut source = Crossterm::with_signals()?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_extras();
        ratatui::restore();
        previous(info);
    }));
    let mut terminal = ratatui::try_init()?;
    let setup = execute!(io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    let result = setup.and_then(|()| {
        let size = terminal.size()?;
        app.update(Msg::Resize(size.width, size.height));
        run_loop(&mut terminal, app, &mut source)
    });
    restore_extras();
    ratatui::restore();
    let _ = std::panic::take_hook();
    result.map(|()| source.signal())
}
