use super::*;
use crate::script::cr::bundled_protocol;

fn cat() -> Catalogue {
    Catalogue::new(bundled_protocol().expect("bundled"))
}

fn labels(strategies: &[&str], met: Option<bool>, distortions: &[&str]) -> Option<TurnLabels> {
    Some(TurnLabels {
        strategies: strategies.iter().map(|s| (*s).to_owned()).collect(),
        stage_goal_met: met,
        distortions: distortions.iter().map(|s| (*s).to_owned()).collect(),
    })
}

const PLAIN_JSON: &str = r#"{"sentences": [{"text": "That sounds exhausting.", "strategy": "empathize"}, {"text": "What went through your mind when you read the email?", "strategy": "question"}], "stage_goal_met": false, "distortions": []}"#;

#[test]
fn structured_replies_in_every_wrapping() {
    let c = cat();
    let want_text = "That sounds exhausting. What went through your mind when you read the email?";
    let want = labels(&["empathize", "question"], Some(false), &[]);
    let table: Vec<(String, Method)> = vec![
        (PLAIN_JSON.to_owned(), Method::Json),
        (format!("  \n{PLAIN_JSON}\n"), Method::Json),
        (format!("```json\n{PLAIN_JSON}\n```"), Method::Fenced),
        (format!("```\n{PLAIN_JSON}\n```"), Method::Fenced),
        (
            format!("Here is my reply:\n```JSON\n{PLAIN_JSON}\n```\nHope that helps."),
            Method::Fenced,
        ),
        (format!("Sure! {PLAIN_JSON} Let me know."), Method::Embedded),
        (
            format!("<think>The client is tired {{not json}}.</think>\n{PLAIN_JSON}"),
            Method::Json,
        ),
        (
            format!("Sure {{ hmm }} then {PLAIN_JSON}"),
            Method::Embedded,
        ),
        (format!("```json {PLAIN_JSON} ```"), Method::Fenced),
    ];
    for (raw, method) in table {
        let turn = read_staged(&raw, &c);
        assert_eq!(turn.text, want_text, "{raw}");
        assert_eq!(turn.labels, want, "{raw}");
        assert_eq!(turn.reading.method, method, "{raw}");
    }
}

#[test]
fn tolerant_shapes_and_spellings() {
    let c = cat();
    let table: &[(&str, &str, Option<TurnLabels>)] = &[
        (
            r#"{"Sentences":[{"Text":"I hear you.","Strategy":"Empathizing"},{"text":"Can you say more?","strategy":"negotiation/question"}],"Stage_Goal_Met":"yes","Distortions":"Mind reading, fortune-telling"}"#,
            "I hear you. Can you say more?",
            labels(
                &["empathize", "question"],
                Some(true),
                &["mind_reading", "fortune_telling"],
            ),
        ),
        (
            r#"{"sentences":["Plain string sentence.","Another."],"stage_goal_met":1,"distortions":[{"id":"labeling"},{"name":"灾难化"}]}"#,
            "Plain string sentence. Another.",
            labels(&[], Some(true), &["labeling", "magnification"]),
        ),
        (
            r#"{"sentences":[{"text":"听起来很累。","strategy":"共情"},{"text":"当时你在想什么？","strategy":"提问"}],"stage_goal_met":"否","distortions":["读心术","读心术","预言未来"]}"#,
            "听起来很累。当时你在想什么？",
            labels(
                &["empathize", "question"],
                Some(false),
                &["mind_reading", "fortune_telling"],
            ),
        ),
        (
            r#"{"text":"One sentence only.","strategy":"summary"}"#,
            "One sentence only.",
            labels(&["summarize"], None, &[]),
        ),
        (
            r#"[{"text":"An array.","strategy":"inform"}]"#,
            "An array.",
            labels(&["inform"], None, &[]),
        ),
        (
            r#"{"sentences":[{"text":"Known.","strategy":"affirm"},{"text":"Unknown.","strategy":"hypnosis"},{"text":"   "},{"text":"None."}],"stage_goal_met":null,"distortions":["all or nothing","jumping to conclusions"]}"#,
            "Known. Unknown. None.",
            labels(&["affirm"], None, &["all_or_nothing"]),
        ),
    ];
    for (raw, text, want) in table {
        let turn = read_staged(raw, &c);
        assert_ne!(turn.reading.method, Method::Plain, "{raw}");
        assert_eq!(&turn.text, text, "{raw}");
        assert_eq!(&turn.labels, want, "{raw}");
    }
    let turn = read_staged(table[5].0, &c);
    assert_eq!(turn.reading.unknown_strategies, ["hypnosis"]);
    assert_eq!(turn.reading.unknown_strategy_count, 1);
    assert_eq!(turn.reading.unknown_distortions, ["jumping to conclusions"]);
    assert_eq!(turn.reading.unknown_labels(), 2);
    assert_eq!(turn.reading.dropped_sentences, 1);
    assert_eq!(turn.reading.sentences.len(), 3);
    assert_eq!(turn.reading.sentences[1].given.as_deref(), Some("hypnosis"));
    assert_eq!(turn.reading.sentences[1].strategy, None);
    let approx = read_staged(r#"{"sentences":[{"text":"x","strategy":"empathy"}]}"#, &c);
    assert_eq!(
        approx.reading.approximate,
        [("empathy".to_owned(), "empathize".to_owned())]
    );
}

#[test]
fn common_json_slips_are_repaired_and_wrappers_opened() {
    let c = cat();
    let slips = r#"{"sentences":[{"text":"Hi.","strategy":"restate",},],"stage_goal_met":True,"distortions":None,}"#;
    let turn = read_staged(slips, &c);
    assert_eq!(turn.labels, labels(&["restate"], Some(true), &[]));
    assert_eq!(turn.reading.method, Method::Json);
    // `True` inside a string is text, not a slip.
    let in_text = r#"{"sentences":[{"text":"True, None of it, False.",},]}"#;
    assert_eq!(read_staged(in_text, &c).text, "True, None of it, False.");
    let wrapped = r#"{"reply": {"sentences":[{"text":"Wrapped.","strategy":"affirm"}],"stage_goal_met":false}}"#;
    let turn = read_staged(wrapped, &c);
    assert_eq!(turn.labels, labels(&["affirm"], Some(false), &[]));
    // A sentence item alone inside broken JSON is not taken for the reply.
    let broken = r#"{"sentences":[{"text":"A.","strategy":"affirm"}], "stage_goal_met": maybe}"#;
    let turn = read_staged(broken, &c);
    assert_eq!(turn.labels, None);
    assert_eq!(turn.text, "A.");
    assert_eq!(turn.reading.method, Method::Salvaged);
}

#[test]
fn unparseable_replies_degrade_to_one_unlabelled_turn() {
    let c = cat();
    let table: &[(&str, &str, Method)] = &[
        (
            "I hear how hard this week has been.",
            "I hear how hard this week has been.",
            Method::Plain,
        ),
        (
            "<think>They want JSON but I'll just talk.</think>\n\nThat sounds painful. What happened next?",
            "That sounds painful. What happened next?",
            Method::Plain,
        ),
        (
            "```\nJust prose in a fence.\n```",
            "Just prose in a fence.",
            Method::Plain,
        ),
        (
            "```text\nLine one.\nLine two.\n```",
            "Line one.\nLine two.",
            Method::Plain,
        ),
        (
            "{\"stage_goal_met\": true}",
            "{\"stage_goal_met\": true}",
            Method::Plain,
        ),
        ("{not json at all", "{not json at all", Method::Plain),
        ("", "", Method::Plain),
        ("<think>only reasoning, cut", "", Method::Plain),
        (
            r#"{"sentences": [{"text": "That must have stung.", "strategy": "empathize"}, {"text": "What did you tell yoursel"#,
            "That must have stung. What did you tell yoursel",
            Method::Salvaged,
        ),
        (
            "```json\n{\"sentences\": [{\"text\": \"Half a reply\", \"strat",
            "Half a reply",
            Method::Salvaged,
        ),
    ];
    for (raw, text, method) in table {
        let turn = read_staged(raw, &c);
        assert_eq!(&turn.text, text, "{raw:?}");
        assert_eq!(turn.labels, None, "{raw:?}");
        assert_eq!(turn.reading.method, *method, "{raw:?}");
    }
    assert!(read_staged(table[1].0, &c).reading.reasoning_removed);
}

#[test]
fn hostile_replies_are_bounded_and_kept_as_data() {
    let c = cat();
    // Terminal escapes in text stay as data (rendering them safely is the TUI's job).
    let esc = r#"{"sentences":[{"text":"\u001b[2J\u001b]0;pwned\u0007Hello","strategy":"restate"}],"stage_goal_met":false,"distortions":[]}"#;
    let turn = read_staged(esc, &c);
    assert_eq!(turn.text, "\u{1b}[2J\u{1b}]0;pwned\u{7}Hello");
    assert_eq!(turn.labels, labels(&["restate"], Some(false), &[]));
    let raw_esc = "\u{1b}[31mplain red\u{1b}[0m";
    assert_eq!(read_staged(raw_esc, &c).text, raw_esc);

    // Deep nesting: serde_json refuses it, the scanner does not recurse.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let turn = read_staged(&deep, &c);
    assert_eq!(turn.labels, None);
    let deep_obj = format!("{}{}", "{\"a\":".repeat(50_000), "1");
    assert_eq!(read_staged(&deep_obj, &c).labels, None);

    // Many sentences, long sentences, many distortions: bounded.
    let many: Vec<String> = (0..500)
        .map(|i| format!(r#"{{"text":"Sentence {i}.","strategy":"question"}}"#))
        .collect();
    let raw = format!(
        r#"{{"sentences":[{}],"stage_goal_met":true,"distortions":{}}}"#,
        many.join(","),
        serde_json::to_string(&vec!["labeling"; 1000]).expect("json")
    );
    let turn = read_staged(&raw, &c);
    let l = turn.labels.expect("labels");
    assert_eq!(l.strategies.len(), MAX_SENTENCES);
    assert_eq!(l.distortions, ["labeling"]);
    assert_eq!(turn.reading.dropped_sentences, 500 - MAX_SENTENCES);

    let long = "字".repeat(MAX_SENTENCE_CHARS * 3);
    let raw = format!(r#"{{"sentences":[{{"text":"{long}"}}]}}"#);
    let turn = read_staged(&raw, &c);
    assert_eq!(turn.text.chars().count(), MAX_SENTENCE_CHARS);
    assert!(turn.reading.truncated);

    // A huge reply: only the first MAX_REPLY_BYTES are read, the turn is bounded.
    let huge = "blah ".repeat(MAX_REPLY_BYTES);
    let turn = read_staged(&huge, &c);
    assert!(turn.text.chars().count() <= MAX_TURN_CHARS);
    assert!(turn.reading.truncated);
    assert_eq!(turn.labels, None);

    // Many junk objects before the real one: at most MAX_CANDIDATES are tried.
    let junk = "{\"x\":1} ".repeat(MAX_CANDIDATES + 5);
    let turn = read_staged(&format!("{junk}{PLAIN_JSON}"), &c);
    assert_eq!(turn.labels, None);
    let few = "{\"x\":1} ".repeat(3);
    assert!(
        read_staged(&format!("{few}{PLAIN_JSON}"), &c)
            .labels
            .is_some()
    );

    // Wrong types everywhere: no panic, no labels from junk.
    for raw in [
        r#"{"sentences": 5}"#,
        r#"{"sentences": [1, null, true, {"text": 7}]}"#,
        r#"{"sentences": {"text": "obj"}}"#,
        r#"{"sentences": [{"text": "ok", "strategy": {"deep": ["x"]}}], "distortions": [[["labeling"]]], "stage_goal_met": [true]}"#,
        "null",
        "\"just a string\"",
        "[]",
        "{}",
    ] {
        let turn = read_staged(raw, &c);
        if let Some(l) = &turn.labels {
            assert!(l.strategies.is_empty() && l.distortions.is_empty(), "{raw}");
            assert_eq!(l.stage_goal_met, None, "{raw}");
        }
    }
    // A very long strategy spelling is cut before lookup and listed cut.
    let raw = format!(
        r#"{{"sentences":[{{"text":"x","strategy":"{}"}}]}}"#,
        "z".repeat(10_000)
    );
    let turn = read_staged(&raw, &c);
    assert_eq!(turn.reading.unknown_strategies[0].chars().count(), 80);
}

#[test]
fn plain_turns() {
    let table: &[(&str, &str)] = &[
        ("  Hi, I'm Sam.  \n", "Hi, I'm Sam."),
        ("<think>I am a simulated client</think>Hi.", "Hi."),
        ("```\nwrapped\n```", "wrapped"),
        (
            "Here is some `code` and ``` a fence",
            "Here is some `code` and ``` a fence",
        ),
        (
            "{\"text\": \"kept as it is\"}",
            "{\"text\": \"kept as it is\"}",
        ),
    ];
    for (raw, want) in table {
        assert_eq!(read_plain(raw).text, *want, "{raw:?}");
        assert_eq!(read_plain(raw).labels, None);
    }
}

#[test]
fn judge_verdicts() {
    let c = cat();
    let v = read_judge(
        "```json\n{\"stage_goal_met\": true, \"distortions\": [\"Catastrophizing\", \"nope\"]}\n```",
        &c,
    )
    .expect("verdict");
    assert_eq!(v.stage_goal_met, Some(true));
    assert_eq!(v.distortions, ["magnification"]);
    assert_eq!(v.reading.unknown_distortion_count, 1);
    let v = read_judge("The goal is not met. {\"stage_goal_met\": \"no\"}", &c).expect("verdict");
    assert_eq!((v.stage_goal_met, v.distortions.len()), (Some(false), 0));
    assert!(read_judge("I think the goal is met.", &c).is_none());
    assert!(read_judge("{\"sentences\": []}", &c).is_none());
}

#[test]
fn joining() {
    assert_eq!(join_sentences(["a.", " b. ", "", "c"]), "a. b. c");
    assert_eq!(join_sentences(["你好。", "我在。"]), "你好。我在。");
    assert_eq!(join_sentences(["OK。", "Then"]), "OK。Then");
    assert_eq!(join_sentences(["Sam", "说"]), "Sam说");
}

#[test]
fn the_record_serialises() {
    let c = cat();
    let turn = read_staged(PLAIN_JSON, &c);
    let v = turn.reading.to_value();
    assert_eq!(v["method"], "json");
    assert_eq!(v["sentences"][1]["strategy"], "question");
    assert!(v.get("unknown_strategies").is_none());
}
