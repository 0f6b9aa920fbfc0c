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

/// The real terminal, read on a thread of its own. A second thread watches for SIGTERM,
/// SIGINT, SIGHUP and SIGQUIT sent from outside and for the terminal going away (its window
/// closed), and sends [`Msg::Signal`] or [`Msg::InputClosed`]: the loop then ends like a quit,
/// so the terminal is restored (everything answered is already in the store). A second such
/// signal while it shuts down ends the process at once.
#[derive(Debug, Default)]
pub struct Crossterm {
    signals: Option<Arc<Signals>>,
    threads: Option<Threads>,
    /// The terminal went away while attached.
    closed: Arc<AtomicBool>,
}

/// The reader and the watcher, and the flag that stops both.
#[derive(Debug)]
struct Threads {
    stop: Arc<AtomicBool>,
    reader: JoinHandle<()>,
    watcher: JoinHandle<()>,
}

/// The signals that end the UI, each with the flag its handler sets.
#[derive(Debug)]
struct Signals {
    flags: Vec<(i32, Arc<AtomicBool>)>,
}

/// How often the watcher looks at the signal flags and the terminal, and the reader at the
/// stop flag while no input comes.
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
            threads: None,
            closed: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The signal that ended the loop, if one did.
    #[must_use]
    pub fn signal(&self) -> Option<i32> {
        self.signals.as_ref().and_then(|s| s.received())
    }

    /// Whether the terminal went away while the loop ran.
    #[must_use]
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
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

/// Whether the process's controlling terminal can be opened (it cannot once it hung up).
fn controlling_terminal() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .open("/dev/tty")
        .is_ok()
}

/// The reader thread: terminal events into the channel until told to stop, the channel
/// closes, or reading fails.
fn read_terminal(events: &Sender<Msg>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let msg = match event::poll(SIGNAL_POLL) {
            Ok(false) => continue,
            Ok(true) => match event::read() {
                Ok(ev) => translate(ev),
                Err(e) => Some(read_failed(&e)),
            },
            Err(e) => Some(read_failed(&e)),
        };
        if let Some(msg) = msg {
            let last = matches!(msg, Msg::InputClosed);
            if events.send(msg).is_err() || last {
                return;
            }
        }
    }
}

fn read_failed(e: &io::Error) -> Msg {
    tracing::error!(error = %e, "reading the terminal");
    Msg::InputClosed
}

/// The watcher thread: signals from outside, and the terminal going away. (A hung-up
/// terminal can keep crossterm's reader busy inside `poll`, so the reader cannot tell.)
fn watch(events: &Sender<Msg>, stop: &AtomicBool, signals: Option<&Signals>, closed: &AtomicBool) {
    let had_tty = controlling_terminal();
    while !stop.load(Ordering::SeqCst) {
        if let Some(sig) = signals.and_then(Signals::received) {
            // A hang-up often comes with the terminal gone; the reader may be stuck then.
            if had_tty && !controlling_terminal() {
                closed.store(true, Ordering::SeqCst);
            }
            let _ = events.send(Msg::Signal(sig));
            return;
        }
        if had_tty && !controlling_terminal() {
            tracing::error!("the terminal went away");
            closed.store(true, Ordering::SeqCst);
            let _ = events.send(Msg::InputClosed);
            return;
        }
        std::thread::park_timeout(SIGNAL_POLL);
    }
}

impl EventSource for Crossterm {
    fn attach(&mut self, events: Sender<Msg>, _end: u64) -> io::Result<()> {
        self.detach();
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, tx) = (Arc::clone(&stop), events.clone());
        let reader = std::thread::Builder::new()
            .name("terminal input".to_owned())
            .spawn(move || read_terminal(&tx, &flag))?;
        let (flag, signals, closed) = (
            Arc::clone(&stop),
            self.signals.clone(),
            Arc::clone(&self.closed),
        );
        let watcher = std::thread::Builder::new()
            .name("terminal watch".to_owned())
            .spawn(move || watch(&events, &flag, signals.as_deref(), &closed))?;
        self.threads = Some(Threads {
            stop,
            reader,
            watcher,
        });
        Ok(())
    }

    fn detach(&mut self) {
        if let Some(t) = self.threads.take() {
            t.stop.store(true, Ordering::SeqCst);
            t.watcher.thread().unpark();
            let _ = t.watcher.join();
            // A reader stuck on a terminal that went away is left behind (the process is
            // about to end); otherwise it stops within one poll.
            if !self.closed() && controlling_terminal() {
                let _ = t.reader.join();
            }
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

/// The terminal's size now (80×24 when it cannot be read: no terminal).
#[must_use]
pub fn terminal_size() -> (u16, u16) {
    crossterm::terminal::size().unwrap_or((80, 24))
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
    result?;
    if source.closed() {
        return Err(io::Error::other(
            "the terminal went away; everything answered is saved",
        ));
    }
    Ok(source.signal())
}
