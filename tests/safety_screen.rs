//! The safety screen: the shipped lexicon over the shipped red-team file (every explicit
//! message flagged, no near-miss flagged, at least 70 % of the indirect ones flagged; the
//! misses and false alarms are printed), and `socius safety screen` from the command line.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use socius::script::cr::model::{Expect, RedTeamClass};
use socius::script::cr::{Screen, Screener, bundled_protocol};
use socius::script::load::load_file;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn socius(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run socius");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        // The command may stop before reading everything (a refused protocol, a long line).
        let _ = pipe.write_all(bytes);
    }
    child.wait_with_output().expect("wait")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_shipped_lexicon_meets_the_red_team_aims() {
    let loaded = load_file(&repo().join("scripts/cr/redteam.yaml"));
    let redteam = loaded.cr_redteam().expect("a valid red-team file");
    assert!(redteam.messages.len() >= 60);
    let screener = Screener::of(bundled_protocol().expect("bundled protocol"));
    let (mut misses, mut false_alarms, mut wrong_category) = (Vec::new(), Vec::new(), Vec::new());
    let mut indirect = (0usize, 0usize);
    for m in &redteam.messages {
        let v = screener.screen(&m.text);
        let line = format!(
            "  [{} {}] {:?} → {}",
            m.class.name(),
            m.language.code(),
            m.text,
            v.matched.as_deref().unwrap_or("-")
        );
        if let (Some(want), true) = (&m.category, v.flagged)
            && v.category.as_deref() != Some(want.id.as_str())
        {
            wrong_category.push(format!(
                "{line} (category {:?}, want {})",
                v.category, want.id
            ));
        }
        if m.class == RedTeamClass::Indirect {
            indirect.0 += 1;
            indirect.1 += usize::from(v.flagged);
        }
        match (m.expect, v.flagged) {
            (Expect::Flag, false) => misses.push((m.class, line)),
            (Expect::Pass, true) => false_alarms.push(line),
            _ => {}
        }
    }
    let count = |class| redteam.messages.iter().filter(|m| m.class == class).count();
    println!(
        "red team: {} messages ({} explicit, {} indirect, {} near-miss)",
        redteam.messages.len(),
        count(RedTeamClass::Explicit),
        count(RedTeamClass::Indirect),
        count(RedTeamClass::NearMiss)
    );
    println!(
        "indirect flagged: {}/{} ({:.0} %)",
        indirect.1,
        indirect.0,
        100.0 * indirect.1 as f64 / indirect.0.max(1) as f64
    );
    println!("misses ({}):", misses.len());
    for (_, m) in &misses {
        println!("{m}");
    }
    println!("false alarms ({}):", false_alarms.len());
    for f in &false_alarms {
        println!("{f}");
    }
    let explicit_missed: Vec<_> = misses
        .iter()
        .filter(|(c, _)| *c == RedTeamClass::Explicit)
        .map(|(_, l)| l.as_str())
        .collect();
    assert!(
        explicit_missed.is_empty(),
        "explicit messages missed:\n{}",
        explicit_missed.join("\n")
    );
    assert!(
        false_alarms.is_empty(),
        "near-misses flagged:\n{}",
        false_alarms.join("\n")
    );
    assert!(
        indirect.1 * 10 >= indirect.0 * 7,
        "only {}/{} indirect messages flagged",
        indirect.1,
        indirect.0
    );
    assert!(
        wrong_category.is_empty(),
        "flagged with another category:\n{}",
        wrong_category.join("\n")
    );
}

#[test]
fn stdin_gives_one_verdict_per_line() {
    let input = "I want to kill myself\nthis deadline is killing me\n\n笑死我了\r\n我不想活了";
    let out = socius(&["safety", "screen", "-"], Some(input.as_bytes()));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    assert!(
        lines[0].contains("verdict") && lines[0].contains("matched"),
        "{stdout}"
    );
    assert!(
        lines[1].contains("FLAG") && lines[1].ends_with("kill myself"),
        "{stdout}"
    );
    assert!(lines[2].contains("pass"), "{stdout}");
    assert!(lines[3].contains("pass"), "{stdout}");
    assert!(lines[4].contains("pass"), "{stdout}");
    assert!(
        lines[5].contains("death_wish") && lines[5].ends_with("不想活"),
        "{stdout}"
    );
    assert!(
        stderr.contains("screened 5 messages: 2 flagged"),
        "{stderr}"
    );
    // No FILE reads standard input too.
    let out = socius(&["safety", "screen", "--json"], Some(b"ok\n"));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn json_lines_have_the_documented_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("messages.txt");
    std::fs::write(&file, "I'm dying to see that film\nI wish I were dead\n").expect("write");
    let out = socius(
        &["safety", "screen", file.to_str().expect("utf-8"), "--json"],
        None,
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let values: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(
        values,
        vec![
            serde_json::json!({"line": 1, "flagged": false, "category": null, "matched": null}),
            serde_json::json!({
                "line": 2, "flagged": true, "category": "death_wish", "matched": "wish i were dead"
            }),
        ]
    );
    let keys: Vec<&str> = stdout
        .lines()
        .next()
        .expect("a line")
        .split('"')
        .skip(1)
        .step_by(2)
        .take(4)
        .collect();
    assert_eq!(keys, ["line", "flagged", "category", "matched"]);
}

#[test]
fn a_clinic_protocol_screens_with_its_own_lexicon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text_of = std::fs::read_to_string(repo().join("scripts/cr/crdial.yaml")).expect("read");
    let clinic = text_of.replacen(
        "      harm_to_others:\n        - kill someone",
        "      harm_to_others:\n        - clinic test phrase\n        - kill someone",
        1,
    );
    assert_ne!(clinic, text_of);
    let protocol = dir.path().join("clinic.yaml");
    std::fs::write(&protocol, clinic).expect("write");
    let out = socius(
        &[
            "safety",
            "screen",
            "-",
            "--json",
            "--protocol",
            protocol.to_str().expect("utf-8"),
        ],
        Some(b"this is a Clinic Test Phrase\n"),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("\"matched\":\"clinic test phrase\""),
        "{stdout}"
    );

    // A protocol with errors, or another kind of script, is refused with the reason.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "kind: cr_protocol\nid: x\n").expect("write");
    let out = socius(
        &[
            "safety",
            "screen",
            "--protocol",
            broken.to_str().expect("utf-8"),
        ],
        Some(b"x\n"),
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("has errors") && stderr.contains("broken.yaml:"),
        "{stderr}"
    );
    let out = socius(
        &[
            "safety",
            "screen",
            "--protocol",
            "scripts/cr/cases/en-exam-retake.yaml",
        ],
        Some(b"x\n"),
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("is a cr_case script, not a cr_protocol"),
        "{stderr}"
    );
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("messages.fifo");
    mkfifo(&fifo);
    let out = socius(&["safety", "screen", fifo.to_str().expect("utf-8")], None);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("FIFO"), "{stderr}");

    let out = socius(&["safety", "screen", "no-such-file.txt"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("no such file"), "{}", text(&out).1);

    let mut long = b"fine\n".to_vec();
    long.extend(vec![b'a'; (16 << 10) + 1]);
    long.push(b'\n');
    let out = socius(&["safety", "screen", "-", "--json"], Some(&long));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "the first line was screened: {stdout}"
    );
    assert!(
        stderr.contains("<stdin>:2: the line is longer than 16 KiB"),
        "{stderr}"
    );

    let out = socius(&["safety", "screen", "-"], Some(b"ok\n\xff\xfe\n"));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("<stdin>:2: not UTF-8 text"), "{stderr}");

    let out = socius(&["safety", "screen", "--nonsense"], None);
    assert_eq!(out.status.code(), Some(2));
}
