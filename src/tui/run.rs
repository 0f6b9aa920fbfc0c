//! The UI loop and the terminal: raw mode, alternate screen, mouse capture and bracketed paste
//! are set up here and undone on every way out — normal quit, error, and panic.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event,
};
use crossterm::execute;
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::app::{App, Msg};

/// Where input comes from: the terminal, or a script of messages in tests. A source sends
/// into the app's one event channel, where background work sends too.
pub trait EventSource {
    /// Start sending into `events`. `end` is the number a scripted source ends with
    /// ([`Msg::End`]); a live source never ends by itself.
    ///
    /// # Errors
    /// The terminal could not be read.
    fn attach(&mut self, events: Sender<Msg>, end: u64) -> io::Result<()>;

    /// Stop sending (the loop is over).
    fn detach(&mut self) {}
}

/// Scripted messages (tests, headless runs), followed by the end.
#[derive(Debug, Default)]
pub struct Scripted(pub VecDeque<Msg>);

impl EventSource for Scripted {
    fn attach(&mut self, events: Sender<Msg>, end: u64) -> io::Result<()> {
        for msg in self.0.drain(..).chain(std::iter::once(Msg::End(end))) {
            events
                .send(msg)
                .map_err(|_| io::Error::other("the event channel is closed"))?;
        }
        Ok(())
    }
}

/// The real terminal, read on a thread of its own. It also watches for SIGTERM, SIGINT, SIGHUP
/// and SIGQUIT sent from outside and sends [`Msg::Signal`]: the loop then ends like a quit, so
/// the terminal is restored (everything answered is already in the store). A second such
/// signal while it shuts down ends the process at once.
#[derive(Debug, Default)]
pub struct Crossterm {
    signals: Option<Arc<Signals>>,
    reader: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

/// The signals that end the UI, each with the flag its handler sets.
#[derive(Debug)]
struct Signals {
    flags: Vec<(i32, Arc<AtomicBool>)>,
}

/// How often the reader looks at the signal flags (and whether to stop) while no input comes.
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
            signals: Some(Arc::new(Signals::install()?)),
            reader: None,
        })
    }

    /// The signal that ended the loop, if one did.
    #[must_use]
    pub fn signal(&self) -> Option<i32> {
        self.signals.as_ref().and_then(|s| s.received())
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

/// The reader thread: terminal events and signals into the channel until told to stop, the
/// channel closes, or a signal came.
fn read_terminal(events: &Sender<Msg>, stop: &AtomicBool, signals: Option<&Signals>) {
    while !stop.load(Ordering::SeqCst) {
        if let Some(sig) = signals.and_then(Signals::received) {
            let _ = events.send(Msg::Signal(sig));
            return;
        }
        let msg = match event::poll(SIGNAL_POLL) {
            Ok(false) => continue,
            Ok(true) => match event::read() {
                Ok(ev) => translate(ev),
                Err(e) => {
                    tracing::error!(error = %e, "reading the terminal");
                    return;
                }
            },
            Err(e) => {
                tracing::error!(error = %e, "reading the terminal");
                return;
            }
        };
        if let Some(msg) = msg
            && events.send(msg).is_err()
        {
            return;
        }
    }
}

impl EventSource for Crossterm {
    fn attach(&mut self, events: Sender<Msg>, _end: u64) -> io::Result<()> {
        self.detach();
        let stop = Arc::new(AtomicBool::new(false));
        let signals = self.signals.clone();
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("terminal input".to_owned())
            .spawn(move || read_terminal(&events, &flag, signals.as_deref()))?;
        self.reader = Some((stop, thread));
        Ok(())
    }

    fn detach(&mut self) {
        if let Some((stop, thread)) = self.reader.take() {
            stop.store(true, Ordering::SeqCst);
            let _ = thread.join();
        }
    }
}

/// Run the loop until the app quits or a scripted source ends. Draws once at the start and
/// after each batch of queued messages.
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
    let end = app.next_loop();
    source.attach(app.sender(), end)?;
    let result = drive(terminal, app, end);
    source.detach();
    result
}

fn drive<B: Backend>(terminal: &mut Terminal<B>, app: &mut App, end: u64) -> io::Result<()>
where
    B::Error: std::error::Error + Send + Sync + 'static,
{
    terminal.draw(|f| app.draw(f)).map_err(io::Error::other)?;
    let mut ended = false;
    while let Some(msg) = app.next_msg(app.tick_interval()) {
        let mut next = Some(msg);
        while let Some(msg) = next.take() {
            match msg {
                Msg::End(n) if n == end => ended = true,
                msg => app.update(msg),
            }
            if app.quitting() {
                return Ok(());
            }
            next = app.waiting_msg();
        }
        terminal.draw(|f| app.draw(f)).map_err(io::Error::other)?;
        if ended {
            break;
        }
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
