//! `socius safety screen [FILE|-] [--json] [--protocol P]`: screen messages, one per line,
//! with a protocol's safety lexicon (the bundled one by default) and print one verdict per
//! line, so a clinic can test its own lexicon before a dialogue ever meets a person.
//!
//! Input is bounded: at most [`MAX_LINE_BYTES`] per line and [`MAX_INPUT_BYTES`] in all; a
//! FILE must be a regular file (a FIFO or device is refused, as for scripts). Standard input
//! is read line by line, so verdicts come out as messages go in.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use super::{CmdResult, Failure, Globals};
use crate::script::cr::{Screen, Screener, Verdict, bundled_protocol, load_protocol};

/// The longest message line screened (bytes, without the line end).
pub const MAX_LINE_BYTES: usize = 16 << 10;
/// The most input read (bytes).
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

#[derive(Debug, clap::Subcommand)]
pub enum SafetyCommand {
    /// Screen messages (one per line) with a protocol's safety lexicon; one verdict per line
    Screen(ScreenArgs),
}

#[derive(Debug, clap::Args)]
pub struct ScreenArgs {
    /// Messages, one per line; `-` (or nothing) reads standard input
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,
    /// One JSON object per line: {"line","flagged","category","matched"}
    #[arg(long)]
    pub json: bool,
    /// The cr_protocol file whose lexicon screens [default: the bundled crdial.yaml]
    #[arg(long, value_name = "P")]
    pub protocol: Option<PathBuf>,
    /// Also ask a classifier model (OpenAI-compatible API base) about every message the
    /// lexicon lets pass [default: lexicon only]
    #[arg(long, value_name = "URL", requires = "model")]
    pub endpoint: Option<String>,
    /// The classifier's model name
    #[arg(long, value_name = "NAME", requires = "endpoint")]
    pub model: Option<String>,
    /// Environment variable holding the API key (unset: no key)
    #[arg(long, value_name = "VAR", default_value = crate::agent::llm::DEFAULT_API_KEY_ENV)]
    pub api_key_env: String,
}

/// A classifier model as a screen: each message is one call, made on a runtime of its own. A
/// call that fails or a reply that cannot be read flags nothing and is counted.
struct ClassifierScreen {
    runtime: tokio::runtime::Runtime,
    classifier: crate::agent::llm::safety::Classifier,
    failed: std::cell::Cell<usize>,
    last_error: std::cell::RefCell<Option<String>>,
}

impl Screen for ClassifierScreen {
    fn screen(&self, message: &str) -> Verdict {
        let c = self.runtime.block_on(self.classifier.classify(message));
        if c.unreadable || c.error.is_some() {
            self.failed.set(self.failed.get() + 1);
            *self.last_error.borrow_mut() = c
                .error
                .clone()
                .or_else(|| Some("a reply that could not be read".to_owned()));
        }
        if c.flagged {
            Verdict::flag(
                c.category.as_deref().unwrap_or("other"),
                &c.matched().unwrap_or_default(),
            )
        } else {
            Verdict::pass()
        }
    }
}

fn classifier(args: &ScreenArgs) -> Result<Option<ClassifierScreen>, Failure> {
    let (Some(endpoint), Some(model)) = (&args.endpoint, &args.model) else {
        return Ok(None);
    };
    let mut config = crate::agent::llm::LlmConfig::new(endpoint.clone(), model.clone());
    config.api_key_env.clone_from(&args.api_key_env);
    config.temperature = Some(0.0);
    let client = crate::agent::llm::LlmClient::new(config)
        .map_err(|e| Failure::Error(format!("--endpoint: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Error(format!("cannot start the async runtime: {e}")))?;
    Ok(Some(ClassifierScreen {
        runtime,
        classifier: crate::agent::llm::safety::Classifier::new(crate::agent::llm::Pool::new(
            client, 1,
        )),
        failed: std::cell::Cell::new(0),
        last_error: std::cell::RefCell::new(None),
    }))
}

/// One output line of `--json`.
#[derive(Debug, Serialize)]
struct LineVerdict<'a> {
    line: usize,
    flagged: bool,
    category: Option<&'a str>,
    matched: Option<&'a str>,
}

pub fn run(_globals: &Globals, cmd: SafetyCommand) -> CmdResult {
    let SafetyCommand::Screen(args) = cmd;
    let lexicon = match &args.protocol {
        Some(p) => Screener::of(&load_protocol(p)?),
        None => Screener::of(bundled_protocol()?),
    };
    // The screens consulted for each message, in order; the first that flags decides: the
    // lexicon, then the classifier when `--endpoint` gives one.
    let model = classifier(&args)?;
    let mut screens: Vec<&dyn Screen> = vec![&lexicon];
    if let Some(m) = &model {
        screens.push(m);
    }
    let stats = match args.file.as_deref() {
        None => screen_lines(std::io::stdin().lock(), "<stdin>", &screens, args.json)?,
        Some(p) if p == Path::new("-") => {
            screen_lines(std::io::stdin().lock(), "<stdin>", &screens, args.json)?
        }
        Some(path) => {
            let shown = path.display().to_string();
            let bytes = crate::fsx::read_regular(path, MAX_INPUT_BYTES)
                .map_err(|e| Failure::Error(format!("{shown}: {e}")))?;
            screen_lines(bytes.as_slice(), &shown, &screens, args.json)?
        }
    };
    if let Some(m) = &model
        && m.failed.get() > 0
    {
        errln!(
            "socius: warning: the classifier gave no verdict on {} message(s) (last: {}); the \
             lexicon's verdict stands for them",
            m.failed.get(),
            m.last_error.borrow().clone().unwrap_or_default()
        );
    }
    if !args.json {
        let (terms, exclusions) = lexicon.size();
        errln!(
            "socius: screened {} message{}: {} flagged ({terms} lexicon terms, {exclusions} \
             exclusions)",
            stats.0,
            if stats.0 == 1 { "" } else { "s" },
            stats.1
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The first flagging verdict of the screens, else a pass.
fn screen_all(screens: &[&dyn Screen], message: &str) -> Verdict {
    screens
        .iter()
        .map(|s| s.screen(message))
        .find(|v| v.flagged)
        .unwrap_or_else(Verdict::pass)
}

/// Screen every line of `input`, printing a verdict per line; (lines, flagged).
fn screen_lines(
    input: impl BufRead,
    name: &str,
    screens: &[&dyn Screen],
    json: bool,
) -> Result<(usize, usize), Failure> {
    let mut input = input.take(MAX_INPUT_BYTES + 1);
    let (mut line, mut flagged, mut total) = (0usize, 0usize, 0u64);
    let mut buf = Vec::new();
    if !json {
        outln!(
            "{:>5}  {:<7}  {}  matched",
            "line",
            "verdict",
            pad("category")
        );
    }
    loop {
        buf.clear();
        let limit = (MAX_LINE_BYTES + 2) as u64;
        let n = (&mut input)
            .take(limit)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Failure::Error(format!("{name}: cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        line += 1;
        total += n as u64;
        if total > MAX_INPUT_BYTES {
            return Err(Failure::Error(format!(
                "{name}: more than {} MiB of input; screen it in parts",
                MAX_INPUT_BYTES >> 20
            )));
        }
        let ended = buf.last() == Some(&b'\n');
        if ended {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        if buf.len() > MAX_LINE_BYTES {
            return Err(Failure::Error(format!(
                "{name}:{line}: the line is longer than {} KiB; one message per line, at most \
                 that long",
                MAX_LINE_BYTES >> 10
            )));
        }
        let text = std::str::from_utf8(&buf).map_err(|e| {
            Failure::Error(format!(
                "{name}:{line}: not UTF-8 text (invalid byte at column {})",
                e.valid_up_to() + 1
            ))
        })?;
        let v = screen_all(screens, text);
        flagged += usize::from(v.flagged);
        print_verdict(line, &v, json)?;
    }
    Ok((line, flagged))
}

fn pad(text: &str) -> String {
    crate::term::pad(text, 14)
}

fn print_verdict(line: usize, v: &Verdict, json: bool) -> Result<(), Failure> {
    if json {
        let out = LineVerdict {
            line,
            flagged: v.flagged,
            category: v.category.as_deref(),
            matched: v.matched.as_deref(),
        };
        outln!("{}", crate::term::to_json(&out)?);
    } else {
        let category = crate::term::clean_field(v.category.as_deref().unwrap_or("-")).into_owned();
        let matched = crate::term::clean_field(v.matched.as_deref().unwrap_or("-")).into_owned();
        outln!(
            "{line:>5}  {:<7}  {}  {matched}",
            if v.flagged { "FLAG" } else { "pass" },
            pad(&category)
        );
    }
    Ok(())
}
