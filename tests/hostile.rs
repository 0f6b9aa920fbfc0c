//! Hostile input through the real binary: the scripts in `tests/hostile/`, special files and
//! link loops made here, and model servers on 127.0.0.1 that misbehave. Each case checks the
//! exit code, the message, that nothing was lost or leaked, and that nothing socius printed
//! holds a control character a terminal would act on.

mod eval_common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use eval_common::{args, bundled, choice_reply, files_contain, socius_async, stderr};
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};

fn hostile(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile")
        .join(name)
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_socius"))
}

/// Bytes a terminal would act on: C0 controls other than line feed, tab and the carriage
/// return of a CSV line end (`\r\n`), DEL, and C1 controls (as UTF-8, `C2 80`–`C2 9F`).
fn control_bytes(bytes: &[u8]) -> Vec<(usize, u8)> {
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        let c1 = b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n));
        let line_end = b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
        if (b < 0x20 && b != b'\n' && b != b'\t' && !line_end) || b == 0x7f || c1 {
            found.push((i, b));
        }
    }
    found
}

/// Assert that what a command printed is safe to show, and return it as text.
fn clean_output(out: &Output, what: &str) -> (String, String) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let bad = control_bytes(bytes);
        assert!(
            bad.is_empty(),
            "{what}: control bytes on {name} at {bad:?}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Wait for a child with a deadline; a child still running then is killed and the test fails
/// (a hang is the bug these tests look for).
fn finish(mut child: Child, what: &str, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{what}: still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run(args: &[&str], what: &str) -> Output {
    let child = bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    finish(child, what, Duration::from_secs(30))
}

#[test]
fn the_alias_bomb_is_refused_within_a_memory_limit() {
    let bomb = hostile("alias-bomb.yaml");
    assert!(std::fs::metadata(&bomb).unwrap().len() < 320);
    // 1 GiB of address space: the expansion would need hundreds of GB.
    for sub in ["check", "play"] {
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 1048576 && exec \"$0\" --store \"$1\" {sub} \"$2\""
            ))
            .arg(env!("CARGO_BIN_EXE_socius"))
            .arg(tempfile::tempdir().unwrap().path().join("store"))
            .arg(&bomb)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh");
        let out = finish(child, sub, Duration::from_secs(30));
        let (stdout, stderr) = clean_output(&out, sub);
        assert_eq!(out.status.code(), Some(1), "{sub}: {stdout}{stderr}");
        let text = format!("{stdout}{stderr}");
        assert!(
            text.contains(
                "alias-bomb.yaml:6:7: error: repeating the value anchored here makes \
                           the document hold more than 1000000 values"
            ),
            "{sub}: {text}"
        );
    }
}

#[test]
fn broken_scripts_get_their_place_and_cause() {
    let out = run(
        &[
            "check",
            hostile("deep-nesting.yaml").to_str().unwrap(),
            hostile("nul-byte.yaml").to_str().unwrap(),
            hostile("raw-escape.yaml").to_str().unwrap(),
        ],
        "check",
    );
    let (text, _) = clean_output(&out, "check");
    assert_eq!(out.status.code(), Some(1), "{text}");
    for want in [
        "deep-nesting.yaml:3:71: error: lists and mappings nested more than 64 deep",
        "nul-byte.yaml:3:10: error: control character U+0000 (NUL)",
        "raw-escape.yaml:2:8: error: control character U+001B (ESC)",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
}

#[test]
fn escape_sequences_in_a_script_are_shown_not_obeyed() {
    let script = hostile("escapes.yaml");
    let out = run(&["check", script.to_str().unwrap()], "check");
    let (text, _) = clean_output(&out, "check");
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(r"world_tree `kitchen-\x1b]0;PWNED\x07-\x1b]52;c;cHduZWQ=\x07`"),
        "{text}"
    );
    // The JSON report keeps the data exactly (JSON escapes it).
    let out = run(
        &["check", "--json", script.to_str().unwrap()],
        "check --json",
    );
    let (json, _) = clean_output(&out, "check --json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["files"][0]["id"],
        "kitchen-\u{1b}]0;PWNED\u{7}-\u{1b}]52;c;cHduZWQ=\u{7}"
    );
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(ok.success());
}

#[test]
fn fifos_and_link_loops_neither_hang_nor_repeat() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("scripts");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::copy(
        bundled().join("en-salary-talk.yaml"),
        dir.join("sub/salary.yaml"),
    )
    .unwrap();
    mkfifo(&dir.join("pipe.yaml"));
    std::os::unix::fs::symlink("..", dir.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("up")).unwrap();
    std::os::unix::fs::symlink("loop-b.yaml", dir.join("loop-a.yaml")).unwrap();
    std::os::unix::fs::symlink("loop-a.yaml", dir.join("loop-b.yaml")).unwrap();

    // A folder: every real file once, the FIFO skipped with a reason, the loops cut.
    let out = run(&["check", dir.to_str().unwrap()], "check DIR");
    let (text, _) = clean_output(&out, "check DIR");
    assert_eq!(
        text.matches("world_tree `en-salary-talk`").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains(
            "pipe.yaml:1:1: warning: skipped: is a FIFO (named pipe), not a regular file"
        ),
        "{text}"
    );
    assert!(
        text.contains("loop-a.yaml:1:1: warning: skipped: too many levels of symbolic links"),
        "{text}"
    );
    assert!(text.contains("already walked"), "{text}");
    assert!(out.status.success(), "warnings only: {text}");

    // The FIFO named directly: refused at once, by every command that reads scripts.
    let fifo = dir.join("pipe.yaml");
    let fifo = fifo.to_str().unwrap();
    let store = tmp.path().join("store");
    let store = store.to_str().unwrap();
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/cr/cases");
    // A registered study folder (it may have arrived from elsewhere) with an assignment that
    // is a FIFO.
    let studies = tmp.path().join("studies");
    let example =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/studies/baseline-example.yaml");
    let out = run(
        &[
            "study",
            "new",
            example.to_str().unwrap(),
            "--out",
            studies.to_str().unwrap(),
        ],
        "study new",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let study = studies.join("baseline-example");
    let assignment = study.join("assignments/ann-a.json");
    std::fs::remove_file(&assignment).unwrap();
    mkfifo(&assignment);
    for (what, argv) in [
        ("check", vec!["check", fifo]),
        ("play", vec!["--store", store, "play", fifo, "--as", "x"]),
        (
            "eval --prompt-template",
            vec![
                "--store",
                store,
                "eval",
                "gae",
                "--scripts",
                dir.join("sub").to_str().unwrap(),
                "--endpoint",
                "http://127.0.0.1:9/v1",
                "--model",
                "m",
                "--prompt-template",
                fifo,
            ],
        ),
        (
            "cr run --system-prompt",
            vec![
                "--store",
                store,
                "cr",
                "run",
                "--cases",
                cases.to_str().unwrap(),
                "--therapist",
                "llm-free",
                "--therapist-endpoint",
                "http://127.0.0.1:9/v1",
                "--therapist-model",
                "m",
                "--system-prompt",
                fifo,
            ],
        ),
        (
            "study status (an assignment that is a FIFO)",
            vec!["--store", store, "study", "status", study.to_str().unwrap()],
        ),
        (
            "study import --format arena (a FIFO)",
            vec![
                "--store", store, "study", "import", "arena-x", "--format", "arena", fifo,
            ],
        ),
        ("inspect (a FIFO)", vec!["--store", store, "inspect", fifo]),
    ] {
        let out = run(&argv, what);
        let (o, e) = clean_output(&out, what);
        assert_eq!(out.status.code(), Some(1), "{what}: {o}{e}");
        assert!(
            format!("{o}{e}").contains("is a FIFO (named pipe), not a regular file"),
            "{what}: {o}{e}"
        );
    }
    let json_fifo = tmp.path().join("tree.json");
    mkfifo(&json_fifo);
    let out = run(
        &[
            "import",
            "socialeval",
            json_fifo.to_str().unwrap(),
            "--out",
            tmp.path().join("out").to_str().unwrap(),
        ],
        "import socialeval",
    );
    let (o, e) = clean_output(&out, "import");
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    assert!(format!("{o}{e}").contains("FIFO"), "{o}{e}");
}

#[test]
fn an_unreadable_subfolder_does_not_stop_check() {
    // Root reads any folder whatever its mode, so the unreadable folder is a link to one
    // that cannot be listed for another reason: a file where a folder is expected would not
    // do either. A folder whose search bit is missing is unreadable to non-root users only;
    // as root, the test uses a symlink into /proc that refuses listing instead.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("scripts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(bundled().join("zh-rival-bakery.yaml"), dir.join("b.yaml")).unwrap();
    let locked = dir.join("a-locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("x.yaml"), "kind: world_tree\n").unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::read_dir(&locked).is_ok();
    let out = run(&["check", dir.to_str().unwrap()], "check");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (text, _) = clean_output(&out, "check");
    assert!(text.contains("world_tree `zh-rival-bakery`"), "{text}");
    if !readable_anyway {
        assert!(
            text.contains("a-locked:1:1: warning: skipped: cannot read the folder"),
            "{text}"
        );
        assert!(out.status.success(), "{text}");
    }
}

/// An eval run over `scripts` against `server`, one episode per tree.
async fn eval(
    store: &Path,
    scripts: &Path,
    server: &LoopbackServer,
    envs: Vec<(String, String)>,
) -> Output {
    let mut a = args(&["eval", "gae", "--scripts"]);
    a.push(scripts.display().to_string());
    a.extend(args(&[
        "--endpoint",
        &server.base_url(),
        "--model",
        "m",
        "--episodes",
        "1",
        "--max-attempts",
        "3",
        "--api-key-env",
        "SOCIUS_HOSTILE_KEY",
        "--run-id",
        "hostile",
    ]));
    socius_async(store, a, envs).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_quotes_the_key_or_sends_html_is_survived_and_nothing_leaks() {
    const KEY: &str = "sk-hostile-0123456789abcdefXYZ";
    // Per request: an HTML page from a "proxy" first, then an answer quoting the key.
    let server = LoopbackServer::start(|r: &Recorded| {
        if r.index.is_multiple_of(2) {
            Reply::raw(
                200,
                "text/html",
                "<html><body>\u{1b}]0;proxy\u{7}busy</body></html>",
            )
        } else {
            Reply::completion(&format!("Your key was Bearer {KEY} {{\"choice\": \"A\"}}"))
        }
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let scripts = tmp.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    std::fs::copy(hostile("escapes.yaml"), scripts.join("escapes.yaml")).unwrap();
    let store = tmp.path().join("store");
    let envs = vec![("SOCIUS_HOSTILE_KEY".to_owned(), KEY.to_owned())];
    let out = eval(&store, &scripts, &server, envs).await;
    let (o, e) = clean_output(&out, "eval");
    assert!(out.status.success(), "{o}{e}");
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {KEY}")))
    );
    // The key is in no file of the store, and in nothing shown or exported.
    assert_eq!(
        files_contain(&store, b"0123456789abcdefXYZ"),
        Vec::<String>::new()
    );
    let store_arg = store.to_str().unwrap().to_owned();
    let list = run(&["--store", &store_arg, "sessions", "list"], "list");
    let (table, _) = clean_output(&list, "sessions list");
    assert!(table.contains(r"kitchen-\x1b]0;PWNED"), "{table}");
    let id = table
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    let mut shown = String::new();
    for argv in [
        vec!["sessions", "show", &id, "--prompts"],
        vec!["sessions", "show", &id, "--json"],
        vec!["sessions", "export"],
        vec!["sessions", "export", "--format", "csv"],
        vec!["sessions", "export", "--format", "md"],
    ] {
        let mut full = vec!["--store", &store_arg];
        full.extend(argv.iter().copied());
        let out = run(&full, &argv.join(" "));
        let (o, e) = clean_output(&out, &argv.join(" "));
        assert!(out.status.success(), "{argv:?}: {e}");
        shown.push_str(&o);
        shown.push_str(&e);
    }
    assert!(!shown.contains("0123456789abcdef"), "key leaked:\n{shown}");
    assert!(shown.contains("Bearer <redacted>"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_with_escape_sequences_is_shown_escaped() {
    let server = LoopbackServer::start(|_r: &Recorded| {
        Reply::json(
            400,
            &serde_json::json!({"error": {"message": "bad \u{1b}]52;c;cHduZWQ=\u{7} request \u{9b}2J"}}),
        )
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let out = eval(
        &store,
        &bundled().join("en-salary-talk.yaml"),
        &server,
        Vec::new(),
    )
    .await;
    let (o, e) = clean_output(&out, "eval");
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    assert!(
        e.contains(r"bad \x1b]52;c;cHduZWQ=\x07 request \u{9b}2J"),
        "{e}"
    );
    // And a 200 whose body is never JSON: retried, then the episode fails with a resume path.
    let html =
        LoopbackServer::start(|_r: &Recorded| Reply::raw(200, "text/html", "<p>sign in</p>"))
            .await
            .unwrap();
    let store2 = tmp.path().join("store2");
    let out = eval(
        &store2,
        &bundled().join("en-salary-talk.yaml"),
        &html,
        Vec::new(),
    )
    .await;
    let (o, e) = clean_output(&out, "eval html");
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    assert!(e.contains("not JSON"), "{e}");
    assert_eq!(
        html.request_count(),
        3,
        "each call is tried --max-attempts times"
    );
    let good = LoopbackServer::start(|_r: &Recorded| choice_reply('A'))
        .await
        .unwrap();
    let mut a = args(&["eval", "gae", "--scripts"]);
    a.push(bundled().join("en-salary-talk.yaml").display().to_string());
    a.extend(args(&[
        "--endpoint",
        &good.base_url(),
        "--model",
        "m",
        "--resume",
        "hostile",
    ]));
    let resumed = socius_async(&store2, a, Vec::new()).await;
    assert!(resumed.status.success(), "{}", stderr(&resumed));
}

#[test]
fn a_crafted_export_is_imported_and_shown_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let store = store.to_str().unwrap();
    let file = hostile("escapes-export.jsonl");
    let out = run(
        &[
            "--store",
            store,
            "sessions",
            "import",
            file.to_str().unwrap(),
        ],
        "import",
    );
    let (o, e) = clean_output(&out, "sessions import");
    assert!(out.status.success(), "{o}{e}");
    assert!(o.contains("2 added"), "{o}");
    let mut all = String::new();
    for argv in [
        vec!["sessions", "list"],
        vec!["sessions", "list", "--json"],
        vec!["sessions", "show", "01M8KV0EVVFNYW9CR0CBMB29NC"],
        vec!["sessions", "export", "--format", "md"],
        vec!["sessions", "export", "--format", "csv"],
        vec!["sessions", "export"],
    ] {
        let mut full = vec!["--store", store];
        full.extend(argv.iter().copied());
        let out = run(&full, &argv.join(" "));
        let (o, e) = clean_output(&out, &argv.join(" "));
        assert!(out.status.success(), "{argv:?}: {e}");
        all.push_str(&o);
    }
    // Shown as escapes, in the table, the transcript and the exports.
    for want in [
        r"ann\x1b]0;WHO\x07",
        r"world_tree_gae\x1b[2J",
        r"tree\u{9b}2J\u{202e}gnp.exe",
        r"option \x1b[31mred\x1b[0m\x0d",
        r"\u001b]8;;http://evil.example/\u0007link",
    ] {
        assert!(all.contains(want), "{want:?} in\n{all}");
    }
    // The JSONL export is the same data: importing it into a second store and exporting
    // again gives the same bytes.
    let jsonl = run(&["--store", store, "sessions", "export"], "export");
    let again = tmp.path().join("again.jsonl");
    std::fs::write(&again, &jsonl.stdout).unwrap();
    let store2 = tmp.path().join("store2");
    let store2 = store2.to_str().unwrap();
    let out = run(
        &[
            "--store",
            store2,
            "sessions",
            "import",
            again.to_str().unwrap(),
        ],
        "re-import",
    );
    assert!(out.status.success());
    let jsonl2 = run(&["--store", store2, "sessions", "export"], "export 2");
    assert_eq!(jsonl.stdout, jsonl2.stdout);
}
