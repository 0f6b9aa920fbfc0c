//! End to end in a real terminal: tmux runs the binary (the release build in CI), keys are
//! sent with `send-keys`, the screen is read with `capture-pane`. One test plays a bundled tree
//! to an ending, quits, and finds the session with `socius sessions list`; the other kills the
//! process mid-tree and resumes from the library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The binary under test: `$SOCIUS_E2E_BIN` (CI points it at the release build), else the
/// build cargo made for these tests.
fn binary() -> PathBuf {
    match std::env::var_os("SOCIUS_E2E_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_socius")),
    }
}

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Wait until the screen shows `text` (polling the pane; fails after 20 s).
    fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }

    /// Wait until the screen satisfies `done` (polling the pane; fails after 20 s, showing
    /// `what` was awaited and the last screen).
    fn wait_until(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if done(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Tmux {
    /// A tmux server of the test's own (started by the first `open`).
    fn new(tag: &str) -> Self {
        Self {
            socket: format!("socius-e2e-{tag}-{}", std::process::id()),
        }
    }
}

/// A tmux server of the test's own, with a temporary store and settings folder. `None` when
/// tmux is missing (CI installs it).
fn setup(tag: &str) -> Option<(Tmux, tempfile::TempDir)> {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("e2e: tmux is not installed; skipping (CI installs it)");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    Some((Tmux::new(tag), dir))
}

impl Tmux {
    /// Run `socius ARGS` in an 80x24 window named `e2e`, with the store and settings in `dir`.
    /// With `exec`, the pane's process is socius itself; otherwise the shell prints
    /// `EXITED:<code>` afterwards and waits, so the exit code can be read.
    fn open(&self, dir: &Path, args: &str, exec: bool) {
        let base = format!(
            "env SOCIUS_CONFIG_DIR={} {} --store {} {args}",
            dir.join("config").display(),
            binary().display(),
            dir.join("store").display()
        );
        let cmd = if exec {
            format!("exec {base}")
        } else {
            format!("{base}; echo EXITED:$?; sleep 30")
        };
        // In the crate's folder: the bundled library is `./scripts`, and the restarted app finds
        // the session's script there (whatever folder the test binary was started from).
        self.open_in(Path::new(env!("CARGO_MANIFEST_DIR")), &cmd);
    }

    /// Run the shell command `cmd` in an 80x24 window named `e2e`, started in `cwd`.
    fn open_in(&self, cwd: &Path, cmd: &str) {
        let cwd = cwd.to_str().expect("utf-8");
        self.run(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "80",
            "-y",
            "24",
            "-c",
            cwd,
            cmd,
        ]);
    }
}

fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
        .display()
        .to_string()
}

/// Every stored session of the store in `dir`, as exported JSONL records.
fn exported(dir: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(binary())
        .args(["--store", dir.join("store").to_str().expect("utf-8")])
        .args(["sessions", "export", "--format", "jsonl"])
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

fn decisions(record: &serde_json::Value) -> usize {
    record["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["body"]["type"] == "decision")
        .count()
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// The title of the GAE question box for choice point `n` (1-based; it counts the decisions of
/// the whole session, replayed ones included).
fn question(n: usize) -> String {
    format!("Your reply · Choice {n} ")
}

/// The choice point of the GAE question on screen, if one is.
fn question_on(screen: &str) -> Option<usize> {
    let rest = &screen[screen.find("Your reply · Choice ")? + "Your reply · Choice ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Reveal lines and pick option 1 until `stop` decisions were made or the ending shows.
/// Returns the number of decisions made.
///
/// Every key waits for the screen that proves the app acted on it, not for just any change:
/// a key also clears the status bar (e.g. "Resumed where you left off."), and that redraw comes
/// before the decision is stored. A decision counts once its question is gone from the screen:
/// the app stores (and flushes) it before it moves on, so it then survives a kill -9.
fn play(tmux: &Tmux, stop: usize) -> usize {
    let mut made = 0;
    let start = Instant::now();
    loop {
        let s = tmux.screen();
        if s.contains("The end") || made == stop {
            return made;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "stuck:\n{s}");
        if let Some(n) = question_on(&s) {
            tmux.keys(&["1"]);
            tmux.keys(&["Enter"]);
            let title = question(n);
            tmux.wait_until(&format!("{title:?} to go"), |s| !s.contains(&title));
            made += 1;
        } else {
            tmux.keys(&["a"]);
            tmux.wait_until("a question or the ending", |s| {
                question_on(s).is_some() || s.contains("The end")
            });
        }
    }
}

/// Wait until process `pid` is gone (reaped). A SIGKILLed process can live on for a while,
/// e.g. while a thread finishes a disk sync; until its last thread has exited it holds the
/// store's lock, and a new socius would wait for it (or share it through the dying one).
/// Its main thread may already be a zombie then, so only "no such process" proves it.
fn wait_gone(pid: &str) {
    let start = Instant::now();
    while Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("kill -0")
        .success()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "process {pid} still there 20 s after kill -9"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn play_a_bundled_tree_to_an_ending_in_tmux() {
    let Some((tmux, dir)) = setup("play") else {
        return;
    };
    let args = format!(
        "play {} --as e2e-annotator --mode gae --seed 7",
        script("en-shared-kitchen.yaml")
    );
    tmux.open(dir.path(), &args, false);
    tmux.wait_for("Press Enter to begin");
    tmux.keys(&["Enter"]);
    tmux.wait_until("the introduction to go", |s| {
        !s.contains("Press Enter to begin")
    });
    let made = play(&tmux, usize::MAX);
    let end = tmux.wait_for("Outcome");
    assert!(
        end.contains("success") || end.contains("failure") || end.contains("partial"),
        "{end}"
    );
    tmux.keys(&["q"]);
    // socius exited normally and gave the terminal back to the shell.
    let after = tmux.wait_for("EXITED:");
    assert!(after.contains("EXITED:0"), "{after}");
    let out = Command::new(binary())
        .args(["--store", dir.path().join("store").to_str().expect("utf-8")])
        .args(["sessions", "list", "--json"])
        .output()
        .expect("sessions list");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sessions = v["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 1, "{v}");
    assert_eq!(sessions[0]["status"], "finished", "{v}");
    assert_eq!(decisions(&exported(dir.path())[0]), made);
}

#[test]
fn kill_9_mid_tree_then_resume_from_the_library() {
    let Some((tmux, dir)) = setup("kill") else {
        return;
    };
    let args = format!(
        "play {} --as kill-test --mode gae",
        script("en-salary-talk.yaml")
    );
    tmux.open(dir.path(), &args, true);
    tmux.wait_for("Press Enter to begin");
    tmux.keys(&["Enter"]);
    tmux.wait_until("the introduction to go", |s| {
        !s.contains("Press Enter to begin")
    });
    let before = play(&tmux, 2);
    assert_eq!(before, 2);
    // The pane runs socius itself (exec), so its pid is socius's.
    let pid = tmux.run(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]);
    let pid = pid.trim();
    let killed = Command::new("kill")
        .args(["-9", pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_gone(pid);
    drop(tmux);
    // Restart on the home screen, in a tmux server of its own (the first one exits with its
    // last pane): the session is offered for resuming.
    let tmux = Tmux::new("kill-resume");
    tmux.open(dir.path(), "", false);
    tmux.wait_for("in progress");
    tmux.keys(&["Tab"]);
    tmux.keys(&["Enter"]);
    let resumed = tmux.wait_for("Resumed where you left off");
    // Both decisions made before the kill were stored: the session resumes at the third.
    assert!(resumed.contains(&question(before + 1)), "{resumed}");
    let after = play(&tmux, usize::MAX);
    tmux.wait_for("Outcome");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED:0");
    let records = exported(dir.path());
    assert_eq!(records.len(), 1, "one session, not two");
    assert_eq!(
        decisions(&records[0]),
        before + after,
        "no decision lost or repeated"
    );
    assert_eq!(records[0]["session"]["status"], "finished");
}

/// The pane's `alternate_on`, `mouse_any_flag` and `mouse_sgr_flag`, as tmux sees them.
fn terminal_modes(tmux: &Tmux) -> String {
    tmux.run(&[
        "display-message",
        "-p",
        "-t",
        "e2e",
        "#{alternate_on}#{mouse_any_flag}#{mouse_sgr_flag}",
    ])
    .trim()
    .to_owned()
}

#[test]
fn a_signal_from_outside_gives_the_terminal_back() {
    for (sig, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let Some((tmux, dir)) = setup(&format!("sig{sig}")) else {
            return;
        };
        let args = format!("play {} --as sig-test", script("en-salary-talk.yaml"));
        // Not `exec`: the shell stays to print the exit code, and socius is its child.
        tmux.open(dir.path(), &args, false);
        tmux.wait_for("Press Enter to begin");
        assert_eq!(
            terminal_modes(&tmux),
            "111",
            "the UI runs in the alternate screen"
        );
        let shell = tmux.run(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"]);
        let children = Command::new("pgrep")
            .args(["-P", shell.trim()])
            .output()
            .expect("pgrep");
        let pid = String::from_utf8_lossy(&children.stdout).trim().to_owned();
        assert!(!pid.is_empty() && !pid.contains('\n'), "one child: {pid:?}");
        let sent = Command::new("kill")
            .args([&format!("-{sig}"), &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let after = tmux.wait_for("EXITED:");
        assert!(
            after.contains(&format!("EXITED:{code}")),
            "SIG{sig}:\n{after}"
        );
        assert!(after.contains(&format!("stopped by SIG{sig}")), "{after}");
        assert_eq!(
            terminal_modes(&tmux),
            "000",
            "SIG{sig} left the alternate screen or mouse capture on"
        );
    }
}

#[test]
fn closing_the_terminal_ends_socius_and_frees_the_store() {
    let Some((tmux, dir)) = setup("closed") else {
        return;
    };
    let args = format!("play {} --as closer", script("en-salary-talk.yaml"));
    tmux.open(dir.path(), &args, true);
    tmux.wait_for("Press Enter to begin");
    tmux.keys(&["Enter"]);
    let pid = tmux
        .run(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"])
        .trim()
        .to_owned();
    assert!(!pid.is_empty());
    // The window goes away with its terminal (as when a terminal emulator is closed).
    tmux.run(&["kill-server"]);
    // socius notices, restores and exits; it had spun on the dead terminal before.
    wait_gone(&pid);
    let store = socius::store::Store::open(dir.path().join("store"));
    assert!(store.is_ok(), "the store is free again: {:?}", store.err());
}

#[test]
fn from_an_empty_folder_the_bundled_scripts_are_there_and_the_store_is_the_users() {
    let Some((tmux, dir)) = setup("empty") else {
        return;
    };
    let home = dir.path().join("home");
    let cwd = dir.path().join("empty");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let cmd = format!(
        "env -u SOCIUS_STORE -u XDG_DATA_HOME -u SOCIUS_DATA_DIR HOME={} {}; echo EXITED:$?; sleep 30",
        home.display(),
        binary().display()
    );
    tmux.open_in(&cwd, &cmd);
    let screen = tmux.wait_for("The raise conversation");
    assert!(screen.contains("Library · 4"), "{screen}");
    assert!(screen.contains("小组作业"), "{screen}");
    assert!(screen.contains(".local/share/socius/sessions"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED:0");
    // Nothing was written into the folder socius was started from.
    assert_eq!(std::fs::read_dir(&cwd).expect("read").count(), 0);
    assert!(home.join(".local/share/socius/sessions").is_dir());
}

/// The pane's process id (the pane runs socius itself with `exec`).
fn pane_pid(tmux: &Tmux) -> String {
    tmux.run(&["list-panes", "-t", "e2e", "-F", "#{pane_pid}"])
        .trim()
        .to_owned()
}

#[test]
fn two_annotators_an_eval_run_a_reader_and_kill_9_of_the_owner_on_one_store() {
    use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
    let Some((first, dir)) = setup("share-a") else {
        return;
    };
    let second = Tmux::new("share-b");
    let args = |who: &str, tree: &str| format!("play {} --as {who} --mode gae", script(tree));
    // The first TUI owns the store; the second shares it through the first.
    first.open(dir.path(), &args("ann-a", "en-salary-talk.yaml"), true);
    first.wait_for("Press Enter to begin");
    first.keys(&["Enter"]);
    assert_eq!(play(&first, 2), 2);
    second.open(dir.path(), &args("ann-b", "en-shared-kitchen.yaml"), true);
    second.wait_for("Press Enter to begin");
    second.keys(&["Enter"]);
    assert_eq!(play(&second, 2), 2);
    // A model run writes into the same store meanwhile (a slow loopback model: it is still
    // going when the owner dies).
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(LoopbackServer::start(|_r: &Recorded| {
            Reply::Delay(
                Duration::from_millis(30),
                Box::new(Reply::completion(r#"{"choice": "A"}"#)),
            )
        }))
        .expect("server");
    let store_dir = dir.path().join("store");
    let eval = Command::new(binary())
        .args(["eval", "gae", "--scripts", &script("zh-group-project.yaml")])
        .args(["--endpoint", &server.base_url(), "--model", "loop"])
        .args(["--episodes", "12", "--concurrency", "2", "--json"])
        .args(["--store", store_dir.to_str().expect("utf-8")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("eval runs");
    // A reader sees both annotators' sessions in progress with their decisions so far.
    let records = exported(dir.path());
    let people: Vec<_> = records
        .iter()
        .filter(|r| r["session"]["who"]["type"] == "annotator")
        .collect();
    assert_eq!(people.len(), 2, "{records:?}");
    for r in &people {
        assert_eq!(r["session"]["status"], "in_progress");
        assert_eq!(decisions(r), 2);
    }
    // The owner is killed mid-run; the second annotator and the model run go on.
    let owner = pane_pid(&first);
    let killed = Command::new("kill")
        .args(["-9", &owner])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_gone(&owner);
    // (The tree may end on the way: the ending is written too.)
    let more = play(&second, 2);
    assert!(more >= 1, "the second annotator could not go on");
    let other = pane_pid(&second);
    // q asks first while the session is open; after the ending it quits at once.
    let ended = second.screen().contains("The end");
    second.keys(&["q"]);
    if !ended {
        second.wait_for("Quit socius");
        second.keys(&["y"]);
    }
    wait_gone(&other);
    let out = eval.wait_with_output().expect("eval ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = exported(dir.path());
    let count = |who: &str| {
        records
            .iter()
            .find(|r| r["session"]["who"]["id"] == who)
            .map(decisions)
    };
    assert_eq!(count("ann-a"), Some(2), "nothing of the killed owner lost");
    assert_eq!(
        count("ann-b"),
        Some(2 + more),
        "no decision lost or repeated"
    );
    let episodes: Vec<_> = records
        .iter()
        .filter(|r| r["session"]["who"]["type"] == "model")
        .collect();
    assert_eq!(episodes.len(), 12, "every episode of the run stored once");
    assert!(
        episodes
            .iter()
            .all(|r| r["session"]["status"] == "finished"),
        "{episodes:?}"
    );
}

fn cr_turns(record: &serde_json::Value) -> Vec<serde_json::Value> {
    record["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["body"]["type"] == "cr_turn")
        .map(|e| e["body"].clone())
        .collect()
}

#[test]
fn a_cr_dialogue_typed_in_tmux_survives_kill_9_and_resumes() {
    let Some((tmux, dir)) = setup("cr") else {
        return;
    };
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cr/cases/en-exam-retake.yaml");
    let args = format!(
        "cr --case {} --therapist human --client human --as cr-e2e",
        case.display()
    );
    tmux.open(dir.path(), &args, true);
    tmux.wait_for("research and training tool");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Belief in the thought");
    tmux.keys(&["7", "0", "Enter"]);
    tmux.wait_for("Emotion intensity");
    tmux.keys(&["5", "0", "Enter"]);
    tmux.wait_for("Your turn as the Client");
    tmux.keys(&["-l", "I failed the exam again."]);
    tmux.wait_for("I failed the exam again.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Your turn as the Therapist");
    tmux.keys(&["-l", "That sounds hard. What went through your mind?"]);
    tmux.wait_for("your mind?");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Tag each sentence");
    tmux.keys(&["e", "q", "Enter"]);
    // The turn shows once it is stored; then the process dies without a word.
    tmux.wait_for("‹Questioning›");
    let pid = pane_pid(&tmux);
    let killed = Command::new("kill")
        .args(["-9", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_gone(&pid);
    drop(tmux);
    let out = Command::new(binary())
        .args(["--store", dir.path().join("store").to_str().expect("utf-8")])
        .args(["sessions", "list", "--json"])
        .output()
        .expect("sessions list");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let id = v["sessions"][0]["id"].as_str().expect("an id").to_owned();
    assert_eq!(v["sessions"][0]["status"], "in_progress", "{v}");
    // Restarted with --resume: the dialogue is back, the client's turn next.
    let tmux = Tmux::new("cr-resume");
    tmux.open(dir.path(), &format!("cr --resume {id}"), false);
    let screen = tmux.wait_for("Resumed where you left off");
    assert!(
        screen.contains("Client: I failed the exam again."),
        "{screen}"
    );
    assert!(screen.contains("‹Empathizing›"), "{screen}");
    assert!(screen.contains("Your turn as the Client"), "{screen}");
    tmux.keys(&["-l", "That I will never pass."]);
    tmux.wait_for("That I will never pass.");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Client: That I will never pass.");
    tmux.keys(&["C-c"]);
    tmux.wait_for("Quit socius");
    tmux.keys(&["y"]);
    tmux.wait_for("EXITED:0");
    let records = exported(dir.path());
    assert_eq!(records.len(), 1, "one session, not two");
    let turns = cr_turns(&records[0]);
    let texts: Vec<&str> = turns.iter().filter_map(|t| t["text"].as_str()).collect();
    assert_eq!(
        texts,
        [
            "I failed the exam again.",
            "That sounds hard. What went through your mind?",
            "That I will never pass."
        ]
    );
    assert_eq!(
        turns[1]["strategies"],
        serde_json::json!(["empathize", "question"])
    );
    assert_eq!(records[0]["session"]["status"], "in_progress");
}

#[test]
fn a_model_therapist_streams_into_the_cr_screen_and_a_client_types_chinese_in_tmux() {
    use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
    let Some((tmux, dir)) = setup("cr-model") else {
        return;
    };
    // A staged therapist model behind a loopback server, streaming its JSON reply in pieces.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt
        .block_on(LoopbackServer::start(|_r: &Recorded| {
            let text = Reply::sse_text(&[
                r#"{"sentences":[{"text":"That sounds heavy. ","strategy":"empathize"},"#,
                r#"{"text":"What went through your mind when you saw the mark?","strategy":"question"}],"#,
                r#""stage_goal_met":false,"distortions":[]}"#,
            ]);
            Reply::sse_chunks(vec![text.into_bytes()], Duration::ZERO)
        }))
        .expect("server");
    // A Chinese case, the client typing Chinese.
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cr/cases/zh-blood-sugar.yaml");
    let args = format!(
        "cr --case {} --therapist llm-staged --therapist-endpoint {} --therapist-model staged \
         --client human --as cr-model",
        case.display(),
        server.base_url()
    );
    tmux.open(dir.path(), &args, false);
    tmux.wait_for("research and training tool");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Belief in the thought");
    tmux.keys(&["6", "0", "Enter"]);
    tmux.wait_for("Emotion intensity");
    tmux.keys(&["4", "0", "Enter"]);
    tmux.wait_for("Your turn as the Client");
    tmux.keys(&["-l", "我又没控制好血糖，觉得自己很没用。"]);
    tmux.wait_for("觉得自己很没用。");
    tmux.keys(&["Enter"]);
    // The model's sentences, never its JSON, with their strategy tags.
    let screen = tmux.wait_for("you saw the mark? ‹Questioning›");
    assert!(!screen.contains("stage_goal_met"), "{screen}");
    tmux.wait_for("Your turn as the Client");
    tmux.keys(&["C-c"]);
    tmux.wait_for("Quit socius");
    tmux.keys(&["y"]);
    tmux.wait_for("EXITED:0");
    let records = exported(dir.path());
    assert_eq!(records.len(), 1);
    let turns = cr_turns(&records[0]);
    assert_eq!(turns.len(), 2, "{turns:?}");
    assert_eq!(turns[0]["text"], "我又没控制好血糖，觉得自己很没用。");
    assert_eq!(turns[1]["speaker"], "therapist");
    assert_eq!(
        turns[1]["text"],
        "That sounds heavy. What went through your mind when you saw the mark?"
    );
    // The call that produced it is stored with the session.
    let calls = records[0]["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["body"]["type"] == "llm_call")
        .count();
    assert_eq!(calls, 1);
    assert_eq!(server.request_count(), 1);
}
