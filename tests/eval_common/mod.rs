//! Helpers shared by the `eval_*` tests: the binary, policy servers that read the options
//! out of the prompt, marker templates, and the runner on a temp store.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
use socius::agent::llm::{LlmClient, LlmConfig, Pool, PromptSet, RetryPolicy};
use socius::eval::{
    Cancel, EvalKind, EvalTree, Prompts, RequestedSettings, RunOutcome, RunSettings, RunSpec,
};
use socius::store::Store;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled example trees (ours: two English, two Chinese).
pub fn bundled() -> PathBuf {
    repo().join("scripts")
}

/// A GAE template whose options sit between markers, so a policy server can find them.
pub const GAE_TEMPLATE: &str = "You are {character_name}.\n{main_profile}\n{user_profile}\n\
    {dialogue_context}\n<<CHOICES>>\n{choices}\n<<END>>\nAnswer with JSON.\n";

/// An IAE template with the question and options between markers.
pub const IAE_TEMPLATE: &str = "You are {character_name}.\n{public}\n{dialogue_context}\n\
    <<Q>>{question}<</Q>>\n<<CHOICES>>\n{choices}\n<<END>>\n";

/// Write `text` to `dir/name`, returning the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The text of the last user message of a request.
pub fn user_prompt(r: &Recorded) -> String {
    let body = r.json().unwrap_or(Value::Null);
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The options between `<<CHOICES>>` and `<<END>>`: lines starting with the next letter and
/// `sep` (`:` for GAE, `.` for IAE) open an option; other lines continue it.
pub fn options(prompt: &str, sep: char) -> Vec<String> {
    let Some(start) = prompt.find("<<CHOICES>>\n") else {
        return Vec::new();
    };
    let rest = &prompt[start + "<<CHOICES>>\n".len()..];
    let body = rest.split("\n<<END>>").next().unwrap_or("");
    let mut out: Vec<String> = Vec::new();
    for line in body.split('\n') {
        let next = char::from(b'A' + u8::try_from(out.len()).unwrap());
        let opener = format!("{next}{sep} ");
        if let Some(text) = line.strip_prefix(&opener) {
            out.push(text.to_owned());
        } else if let Some(last) = out.last_mut() {
            last.push('\n');
            last.push_str(line);
        }
    }
    out
}

/// The question between `<<Q>>` and `<</Q>>`.
pub fn question(prompt: &str) -> String {
    prompt
        .split("<<Q>>")
        .nth(1)
        .and_then(|r| r.split("<</Q>>").next())
        .unwrap_or_default()
        .to_owned()
}

pub fn letter(i: usize) -> char {
    char::from(b'A' + u8::try_from(i).unwrap())
}

pub fn choice_reply(letter: char) -> Reply {
    Reply::completion(&format!("{{\"choice\": \"{letter}\"}}"))
}

/// A server always choosing the first option.
pub async fn first_policy() -> LoopbackServer {
    LoopbackServer::start(|_r: &Recorded| choice_reply('A'))
        .await
        .unwrap()
}

/// A server always choosing the last GAE option it was shown.
pub async fn last_policy() -> LoopbackServer {
    LoopbackServer::start(|r: &Recorded| {
        let n = options(&user_prompt(r), ':').len();
        choice_reply(letter(n.saturating_sub(1)))
    })
    .await
    .unwrap()
}

/// Run the binary with these arguments and the store (blocking: call from
/// `spawn_blocking` when a loopback server runs in this process).
pub fn socius(store: &Path, args: &[String], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_socius"));
    cmd.args(args).arg("--store").arg(store);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// [`socius`] off the async runtime.
pub async fn socius_async(store: &Path, args: Vec<String>, envs: Vec<(String, String)>) -> Output {
    let store = store.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        socius(&store, &args, &envs)
    })
    .await
    .unwrap()
}

pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one JSON object on stdout.
pub fn json_out(out: &Output) -> Value {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let values: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text}\n{}", stderr(out)));
    assert_eq!(values.len(), 1, "exactly one JSON value on stdout: {text}");
    assert!(values[0].is_object());
    values.into_iter().next().unwrap()
}

/// The corpus from `SOCIUS_SOCIALEVAL_DIR`, or `None` with a notice.
pub fn corpus_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("SOCIUS_SOCIALEVAL_DIR") {
        Some(dir) if Path::new(&dir).is_dir() => Some(PathBuf::from(dir)),
        _ => {
            assert!(
                std::env::var_os("SOCIUS_REQUIRE_CORPUS").is_none_or(|v| v != "1"),
                "{test}: SOCIUS_REQUIRE_CORPUS=1 but SOCIUS_SOCIALEVAL_DIR is not the corpus"
            );
            eprintln!("{test}: skipped: SOCIUS_SOCIALEVAL_DIR is not set to the SocialEval corpus");
            None
        }
    }
}

/// Load every world tree under `dir` (they must all load cleanly; CR scripts, such as those
/// under `scripts/cr/`, are left out).
pub fn load_trees(dir: &Path) -> Vec<EvalTree> {
    let paths = socius::script::load::collect_paths(&[dir.to_path_buf()]).unwrap();
    socius::script::load::load_files(&paths.files)
        .into_iter()
        .filter(|l| {
            l.script
                .as_ref()
                .is_none_or(|s| s.kind() == socius::script::load::ScriptKind::WorldTree)
        })
        .map(|l| {
            let tree = l
                .world_tree()
                .unwrap_or_else(|| {
                    panic!("{} does not load: {:?}", l.path.display(), l.diagnostics)
                })
                .clone();
            EvalTree {
                tree: Arc::new(tree),
                hash: l.hash.clone(),
                source: l.path,
            }
        })
        .collect()
}

pub fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_millis(5),
        max_elapsed: None,
        jitter_seed: 3,
    }
}

pub fn pool(server: &LoopbackServer, concurrency: usize, max_attempts: u32) -> Pool {
    let mut cfg = LlmConfig::new(server.base_url(), "policy-model");
    cfg.timeout = Duration::from_secs(10);
    cfg.retry = fast_retry(max_attempts);
    let client = LlmClient::with_api_key(cfg, None).unwrap();
    Pool::new(client, concurrency)
}

pub fn settings(kind: EvalKind, episodes: u32) -> RunSettings {
    RequestedSettings {
        model: "policy-model".into(),
        episodes: Some(episodes),
        ..RequestedSettings::default()
    }
    .new_run(kind)
    .unwrap()
}

/// One run (or resume) through the library, built-in prompts unless `template` is given.
#[allow(clippy::too_many_arguments)]
pub async fn run_lib(
    store: &Store,
    pool: Pool,
    settings: RunSettings,
    run_id: &str,
    trees: &[EvalTree],
    concurrency: usize,
    resume: bool,
    cancel: Cancel,
) -> Result<RunOutcome, socius::eval::RunError> {
    let prompts = Prompts::builtin(settings.kind).unwrap();
    run_with(
        store,
        pool,
        prompts,
        settings,
        run_id,
        trees,
        concurrency,
        resume,
        cancel,
    )
    .await
}

/// [`run_lib`] with the given prompts.
#[allow(clippy::too_many_arguments)]
pub async fn run_with(
    store: &Store,
    pool: Pool,
    prompts: Prompts,
    settings: RunSettings,
    run_id: &str,
    trees: &[EvalTree],
    concurrency: usize,
    resume: bool,
    cancel: Cancel,
) -> Result<RunOutcome, socius::eval::RunError> {
    let spec = RunSpec {
        run_id: run_id.into(),
        settings,
        endpoint_host: "127.0.0.1:1".into(),
        concurrency,
        resume,
    };
    socius::eval::run(
        store.clone(),
        pool,
        prompts,
        spec,
        trees.to_vec(),
        cancel,
        Arc::new(socius::eval::progress::Progress::new()),
    )
    .await
}

pub fn template_set(kind: EvalKind, text: &str) -> PromptSet {
    PromptSet::from_text(kind.prompt_kind(), text).unwrap()
}

/// Every byte of every file under `dir`.
pub fn files_contain(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    hits.push(p.display().to_string());
                }
            }
        }
    }
    hits
}
