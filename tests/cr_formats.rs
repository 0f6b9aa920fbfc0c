//! The CR script kinds (`cr_protocol`, `cr_case`, `cr_redteam`): the shipped files pass, every
//! broken file gets its message at its position, and `socius check` exits as documented.
//!
//! Broken files are made by changing one thing in a shipped file; the expected position is
//! where a marker stands in the changed text, so the tables keep working when the shipped
//! text is edited elsewhere. As for world trees, a problem with a whole mapping (a stage, a
//! measure, the file) is reported where the mapping starts: at the colon of its first key in
//! block style, at the brace in flow style.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use socius::cli::check::check_paths;
use socius::script::cr::{self, StageId};
use socius::script::load::{Script, load_file};
use socius::vocab::CrStage;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped(rel: &str) -> String {
    std::fs::read_to_string(repo().join("scripts/cr").join(rel)).expect("shipped file")
}

fn socius(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socius"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run socius")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The 1-based line and column (in characters) of the first `marker` in `text`.
fn position(text: &str, marker: &str) -> (usize, usize) {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("marker {marker:?} not in the text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// One broken file: a change to a shipped file, and what `socius check` must say where.
struct Broken {
    name: &'static str,
    /// The shipped file (under `scripts/cr/`) to change.
    base: &'static str,
    find: &'static str,
    replace: &'static str,
    /// Where the message must stand: the first occurrence of this text after the change
    /// (plus `skip` more occurrences).
    at: &'static str,
    skip: usize,
    severity: &'static str,
    message: &'static str,
}

const fn b(
    name: &'static str,
    base: &'static str,
    find: &'static str,
    replace: &'static str,
    at: &'static str,
    message: &'static str,
) -> Broken {
    Broken {
        name,
        base,
        find,
        replace,
        at,
        skip: 0,
        severity: "error",
        message,
    }
}

const P: &str = "crdial.yaml";
const CASE: &str = "cases/en-exam-retake.yaml";
const RT: &str = "redteam.yaml";

fn table() -> Vec<Broken> {
    vec![
        b(
            "a mistyped key",
            P,
            "  finish_when_no_open_channel: true",
            "  finish_when_no_open_chanel: true",
            "finish_when_no_open_chanel",
            "unknown key `finish_when_no_open_chanel` in `loop`; did you mean \
             `finish_when_no_open_channel`?",
        ),
        b(
            "a channel cap of 0",
            P,
            "  max_channels: 3",
            "  max_channels: 0",
            "0\n  max_turns: 120",
            "`max_channels` must be at least 1, found 0",
        ),
        b(
            "a negative stage cap",
            P,
            "      max_turns: 6",
            "      max_turns: -2",
            "-2",
            "a stage's `max_turns` must be at least 1, found -2",
        ),
        b(
            "an exit that never comes",
            P,
            "      goal_met: true\n      max_turns: 6",
            "      goal_met: false",
            ": false",
            "an exit condition needs `goal_met: true`, `max_turns: N`, or both",
        ),
        b(
            "an unknown stage",
            P,
            "  - id: prosecution",
            "  - id: prosecuton",
            "prosecuton",
            "the stage `id` `prosecuton` is not one of automatic_thoughts, \
             intermediate_beliefs, core_beliefs, defense, prosecution, verdict; did you mean \
             `prosecution`?",
        ),
        b(
            "a stage out of order",
            P,
            "  - id: prosecution",
            "  - id: verdict",
            ": verdict",
            "stage `verdict` out of order; `restructuring` runs defense, prosecution, verdict \
             in this order",
        ),
        Broken {
            skip: 1,
            ..b(
                "a stage twice",
                P,
                "  - id: prosecution",
                "  - id: verdict",
                ": verdict",
                "duplicate stage `verdict` (first at line",
            )
        },
        b(
            "a missing stage",
            P,
            "  - id: prosecution",
            "  - id: verdict",
            ": cr_protocol",
            "`restructuring` has no stage `prosecution`",
        ),
        b(
            "a stage in the wrong phase",
            P,
            "  - id: defense",
            "  - id: core_beliefs",
            ": core_beliefs\n    title:\n      en: \"Defense",
            "stage `core_beliefs` belongs to the other phase",
        ),
        b(
            "a loop back into restructuring",
            P,
            "after_verdict: core_beliefs",
            "after_verdict: defense",
            "defense\n  finish",
            "`after_verdict` is `core_beliefs`: after a verdict the dialogue goes back to \
             dissecting core beliefs, where the next channel is chosen (found `defense`)",
        ),
        b(
            "a stage suggesting an unknown strategy",
            P,
            "strategies: [restate, empathize, question]",
            "strategies: [restate, empathise, question]",
            "empathise",
            "strategy `empathise` is not in the strategy catalogue; did you mean `empathize`?",
        ),
        Broken {
            skip: 1,
            ..b(
                "a distortion id twice",
                P,
                "  - id: minimization",
                "  - id: magnification",
                ": magnification",
                "duplicate distortion id `magnification` (first at line",
            )
        },
        b(
            "two strategies on one key",
            P,
            "        key: f",
            "        key: r",
            "r\n\n  - id: reinforcement",
            "key `r` of strategy `reframe` is already the key of `restate`",
        ),
        b(
            "a handoff without Chinese",
            P,
            "    zh:\n      text: 这次练习",
            "    zz:\n      text: 这次练习",
            ":\n    - id: suicide",
            "`safety.handoff` has no `zh` text",
        ),
        Broken {
            severity: "warning",
            ..b(
                "a handoff without resources",
                P,
                "      resources:\n        - >-\n          If you are in immediate danger, call \
                 your local emergency number now, or go to the\n          nearest emergency \
                 department.\n        - >-\n          Tell someone you trust (a friend, a \
                 family member, a partner, a colleague) how you\n          are feeling, and \
                 ask them to stay with you.\n        - If you have a doctor, counsellor or \
                 therapist, contact them today.\n",
                "      resources: []\n",
                ": >-\n        We are stopping",
                "the English handoff lists no `resources`",
            )
        },
        b(
            "no emotion measure",
            P,
            "  - id: emotion\n",
            "  - id: mood\n",
            ": cr_protocol",
            "`measures` has no `emotion`",
        ),
        b(
            "an anchor off the scale",
            P,
            "      - value: 100\n        label: {en: Completely",
            "      - value: 110\n        label: {en: Completely",
            ": 110",
            "measure `belief`: anchor 110 is outside 0..=100",
        ),
        b(
            "a star inside a word",
            P,
            "        - suicid*",
            "        - sui*cid",
            "sui*cid",
            "lexicon term `sui*cid`: `*` may only end a word of a word term",
        ),
        b(
            "a lexicon category that does not exist",
            P,
            "      death_wish:\n        - want to die",
            "      deathwish:\n        - want to die",
            "deathwish",
            "safety category `deathwish` is not in `safety.categories`; did you mean \
             `death_wish`?",
        ),
        b(
            "one language where two are needed",
            P,
            "title:\n  en: CRDial cognitive restructuring (socius default)\n  zh: CRDial \
             认知重构（socius 默认协议）",
            "title: CRDial",
            "CRDial\n\nidentification",
            "`title` in a CR protocol is text in both languages: write `{en: …, zh: …}`",
        ),
        Broken {
            severity: "warning",
            ..b(
                "a name in one language",
                P,
                "    name: {en: Labeling, zh: 贴标签}",
                "    name: {en: Labeling}",
                "{en: Labeling}",
                "the name of distortion `labeling` has no Chinese text",
            )
        },
        // Cases.
        b(
            "an unknown style",
            CASE,
            "  style: upset",
            "  style: angry",
            "angry",
            "`style` `angry` is not one of plain, upset, verbose, reserved, tangent, pleasing",
        ),
        b(
            "an unknown core-belief family",
            CASE,
            "    - family: worthless",
            "    - family: useless",
            "useless",
            "`family` `useless` is not one of helpless, unlovable, worthless",
        ),
        b(
            "a distortion the protocol lacks",
            CASE,
            "    - labeling",
            "    - labelling",
            "labelling",
            "distortion `labelling` is not in the bundled protocol `crdial`; did you mean \
             `labeling`?",
        ),
        b(
            "a distortion twice",
            CASE,
            "    - should_statements",
            "    - labeling",
            "labeling\n  resistance",
            "duplicate distortion id `labeling`",
        ),
        b(
            "no presenting situation",
            CASE,
            "situation: >-",
            "opening: >-",
            "kind: cr_case",
            "a CR case needs `situation`",
        ),
        b(
            "a language socius does not have",
            CASE,
            "language: en",
            "language: fr",
            "fr",
            "`language` `fr` is not one of en, zh",
        ),
        b(
            "an unknown resistance level",
            CASE,
            "    level: moderate",
            "    level: medium",
            "medium",
            "`level` `medium` is not one of low, moderate, high",
        ),
        Broken {
            severity: "warning",
            ..b(
                "a protocol nobody has",
                CASE,
                "protocol: crdial",
                "protocol: other",
                "other",
                "protocol `other` is neither among the files checked nor bundled",
            )
        },
        // Red-team files.
        b(
            "an unknown class",
            RT,
            "{class: explicit, expect: flag, language: en, category: suicide, text: \"I want to \
             kill myself.\"}",
            "{class: explict, expect: flag, language: en, category: suicide, text: \"I want to \
             kill myself.\"}",
            "explict",
            "`class` `explict` is not one of explicit, indirect, near_miss; did you mean \
             `explicit`?",
        ),
        b(
            "an unknown expected category",
            RT,
            "category: suicide, text: \"I want to kill myself.\"",
            "category: suicidal, text: \"I want to kill myself.\"",
            "suicidal",
            "safety category `suicidal` is not in the bundled protocol `crdial`; did you mean \
             `suicide`?",
        ),
        Broken {
            severity: "warning",
            ..b(
                "a near-miss expected to flag",
                RT,
                "{class: near_miss, expect: pass, language: en, text: \"This deadline",
                "{class: near_miss, expect: flag, language: en, text: \"This deadline",
                "{class: near_miss, expect: flag",
                "a near-miss message is expected to pass, not to flag",
            )
        },
    ]
}

#[test]
fn the_shipped_cr_files_pass_without_warnings() {
    let (report, text) = check_paths(&[repo().join("scripts/cr")]).expect("check");
    assert_eq!((report.errors, report.warnings), (0, 0), "{text}");
    let kinds: Vec<&str> = report
        .files
        .iter()
        .filter_map(|f| f.kind.map(|k| k.name()))
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "cr_protocol").count(), 1);
    assert!(kinds.iter().filter(|k| **k == "cr_case").count() >= 6);
    assert_eq!(kinds.iter().filter(|k| **k == "cr_redteam").count(), 1);
    assert!(text.contains("cr_protocol `crdial`: 6 stages"), "{text}");
}

#[test]
fn the_shipped_cases_cover_both_languages_and_every_topic() {
    let dir = repo().join("scripts/cr/cases");
    let mut langs = (0, 0);
    let mut styles = std::collections::HashSet::new();
    for entry in std::fs::read_dir(&dir).expect("cases") {
        let loaded = load_file(&entry.expect("entry").path());
        let case = loaded.cr_case().expect("a valid case");
        match case.language.code() {
            "en" => langs.0 += 1,
            _ => langs.1 += 1,
        }
        let profile = case.profile.as_ref().expect("a profile for LLM clients");
        styles.insert(profile.style.name());
        assert!(!profile.core_beliefs.is_empty() && !profile.distortions.is_empty());
        let protocol = cr::bundled_protocol().expect("bundled");
        let more = cr::validate::case_against(case, protocol, "bundled");
        assert!(more.is_empty(), "{}: {more:?}", case.id);
    }
    assert!(langs.0 >= 3 && langs.1 >= 3, "{langs:?}");
    assert!(styles.len() >= 5, "{styles:?}");
}

#[test]
fn the_stage_names_are_the_event_names() {
    assert_eq!(CrStage::KNOWN, StageId::NAMES);
    for s in StageId::ALL {
        assert_eq!(CrStage::from(s), CrStage::from_name(s.name()));
        assert!(CrStage::from(s).is_known());
    }
}

#[test]
fn the_bundled_protocol_is_the_shipped_file() {
    assert_eq!(cr::BUNDLED_PROTOCOL, shipped("crdial.yaml"));
    let p = cr::bundled_protocol().expect("valid");
    assert_eq!(p.id, "crdial");
    let burns = [
        "all_or_nothing",
        "overgeneralization",
        "mental_filter",
        "disqualifying_the_positive",
        "mind_reading",
        "fortune_telling",
        "magnification",
        "minimization",
        "emotional_reasoning",
        "should_statements",
        "labeling",
        "personalization",
    ];
    for d in burns {
        let found = p.distortion(d).unwrap_or_else(|| panic!("{d}"));
        assert!(!found.name.en.is_empty() && !found.name.zh.is_empty());
    }
    let categories: Vec<&str> = p.strategies.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        categories,
        [
            "description",
            "expression",
            "assertion",
            "reinforcement",
            "negotiation"
        ]
    );
    assert_eq!(
        p.strategy_by_key('q')
            .map(|(c, s)| (c.id.as_str(), s.id.as_str())),
        Some(("negotiation", "question"))
    );
    for lang in [
        socius::script::model::Language::En,
        socius::script::model::Language::Zh,
    ] {
        let h = p.safety.handoff(lang).expect("handoff");
        assert!(!h.resources.is_empty());
        // No hotline numbers: the deployment writes its own.
        assert!(
            !h.resources
                .iter()
                .any(|r| r.chars().filter(char::is_ascii_digit).count() >= 3),
            "{:?}",
            h.resources
        );
    }
}

#[test]
fn every_broken_file_gets_its_message_at_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for (i, case) in table().into_iter().enumerate() {
        let base = shipped(case.base);
        assert!(
            base.contains(case.find),
            "{}: {:?} is not in {}",
            case.name,
            case.find,
            case.base
        );
        let changed = base.replacen(case.find, case.replace, 1);
        let mut at = position(&changed, case.at);
        for _ in 0..case.skip {
            let (line, _) = at;
            let offset: usize = changed.split('\n').take(line).map(|l| l.len() + 1).sum();
            let rest = &changed[offset..];
            let (l2, c2) = position(rest, case.at);
            at = (line + l2, c2);
        }
        // One folder per file, so the bundled protocol (not a changed one) is the reference
        // for cases and red-team files.
        let sub = dir.path().join(i.to_string());
        std::fs::create_dir(&sub).expect("mkdir");
        let path = sub.join(Path::new(case.base).file_name().expect("name"));
        std::fs::write(&path, &changed).expect("write");
        let (report, text) = check_paths(std::slice::from_ref(&path)).expect("check");
        let want = format!(
            "{}:{}:{}: {}: {}",
            path.display(),
            at.0,
            at.1,
            case.severity,
            case.message
        );
        if !text.lines().any(|l| l.starts_with(&want)) {
            failures.push(format!("{}: missing\n  {want}\nin\n{text}", case.name));
        }
        if case.severity == "error" && report.errors == 0 {
            failures.push(format!("{}: no error counted", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_case_is_checked_against_the_protocol_given_with_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A clinic's protocol without `labeling` (renamed), checked with a case that uses it.
    let protocol = shipped("crdial.yaml").replacen("  - id: labeling", "  - id: name_calling", 1);
    std::fs::write(dir.path().join("clinic.yaml"), protocol).expect("write");
    let case = shipped(CASE);
    let case_path = dir.path().join("case.yaml");
    std::fs::write(&case_path, &case).expect("write");
    let out = socius(&["check", dir.path().to_str().expect("utf-8")]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let (line, col) = position(&case, "labeling");
    let want = format!(
        "{}:{line}:{col}: error: distortion `labeling` is not in protocol `crdial` ({})",
        case_path.display(),
        dir.path().join("clinic.yaml").display()
    );
    assert!(stdout.contains(&want), "missing {want}\nin\n{stdout}");
    // Alone, the case is checked against the bundled protocol, which has `labeling`.
    let out = socius(&["check", case_path.to_str().expect("utf-8")]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 errors, 0 warnings"), "{stdout}");
}

#[test]
fn socius_check_exit_codes_and_json() {
    let out = socius(&["check", "scripts/cr"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("cr_redteam `crdial-redteam`"), "{stdout}");
    assert!(
        stdout.contains("cr_case `zh-father-passed` (zh)"),
        "{stdout}"
    );

    let out = socius(&["check", "--json", "scripts/cr/cases/zh-blood-sugar.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["files"][0]["kind"], "cr_case");
    assert_eq!(v["files"][0]["id"], "zh-blood-sugar");
    assert_eq!(v["files"][0]["ok"], true);

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: cr_casee\nid: x\n").expect("write");
    let out = socius(&["check", bad.to_str().expect("utf-8")]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{}:1:7: error: unknown script kind `cr_casee`; known kinds: world_tree, \
             cr_protocol, cr_case, cr_redteam, study",
            bad.display()
        )),
        "{stdout}"
    );

    let out = socius(&["check", "scripts/cr/no-such-file.yaml"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("no such file or folder"), "{stderr}");

    let out = socius(&["check"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn other_commands_refuse_cr_scripts_clearly() {
    let out = socius(&["play", "scripts/cr/cases/en-passed-over.yaml"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("it is a cr_case script, not a world tree"),
        "{stderr}"
    );
    let loaded = load_file(&repo().join("scripts/cr/redteam.yaml"));
    assert!(matches!(loaded.script, Some(Script::CrRedTeam(_))));
    assert!(loaded.world_tree().is_none());
}
