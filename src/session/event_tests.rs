use chrono::TimeZone;
use serde_json::json;

use super::*;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

fn event(seq: u64, body: EventBody) -> Event {
    Event {
        seq,
        at: at(),
        schema: body.schema(),
        body,
    }
}

#[test]
fn decision_has_a_stable_shape() {
    let e = event(
        3,
        EventBody::Decision(Decision {
            node: Some("n2".into()),
            option_index: 1,
            option_id: "b".into(),
            latency_ms: 1834,
            options_scrolled: false,
            choice: None,
        }),
    );
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"seq":3,"at":"2025-03-01T12:00:00Z","schema":1,"body":{"type":"decision","node":"n2","option_index":1,"option_id":"b","latency_ms":1834}}"#
    );
}

#[test]
fn a_scrolled_answer_is_schema_2_and_others_stay_schema_1() {
    let scrolled = EventBody::Decision(Decision {
        node: None,
        option_index: 0,
        option_id: "a".into(),
        latency_ms: 5,
        options_scrolled: true,
        choice: None,
    });
    assert_eq!(scrolled.schema(), 2);
    let e = event(0, scrolled);
    let text = serde_json::to_string(&e).unwrap();
    assert!(text.contains(r#""schema":2"#) && text.contains(r#""options_scrolled":true"#));
    assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e);
}

#[test]
fn every_known_body_round_trips() {
    let bodies = vec![
        EventBody::TextShown(TextShown {
            node: None,
            speaker: Some("Li".into()),
            text: "你好".into(),
        }),
        EventBody::OptionsPresented(OptionsPresented {
            node: Some("n1".into()),
            prompt: None,
            options: vec![PresentedOption {
                id: "a".into(),
                text: "Yes".into(),
            }],
        }),
        EventBody::LlmCall(Box::new(LlmCall {
            purpose: Some("decision".into()),
            model: Some("m".into()),
            request: json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.7}),
            raw_reply: Some("B".into()),
            parsed: Some(json!({"choice": "B"})),
            usage: Some(TokenUsage {
                prompt_tokens: 10,
                completion_tokens: 1,
                total_tokens: 11,
            }),
            finish_reason: Some("length".into()),
            latency_ms: 900,
            attempts: vec![
                Attempt {
                    status: Some(500),
                    error: Some("server error".into()),
                    latency_ms: 300,
                },
                Attempt {
                    status: Some(200),
                    error: None,
                    latency_ms: 600,
                },
            ],
            error: None,
        })),
        EventBody::CrTurn(CrTurn {
            speaker: "therapist".into(),
            text: "What went through your mind?".into(),
            stage: Some("automatic_thoughts".into()),
            channel: Some("c1".into()),
            strategies: vec!["socratic_question".into()],
            ..CrTurn::new(CrSpeaker::Client, String::new())
        }),
        EventBody::Rating(Rating {
            name: "belief_pre".into(),
            value: 72.5,
            about_seq: None,
            comment: None,
            task: None,
        }),
        EventBody::Note(Note {
            text: "note".into(),
        }),
        EventBody::Escalation(Escalation {
            reason: "self-harm".into(),
            about_seq: Some(4),
            action: None,
            matched: Some("end it all".into()),
            speaker: Some(CrSpeaker::Client),
            stage: Some(CrStage::Defense),
            turn: Some(7),
        }),
        EventBody::IaeAnswer(IaeAnswer {
            item: "i1".into(),
            ability: Some("empathy".into()),
            option_index: 2,
            option_id: "c".into(),
            correct: Some(true),
            latency_ms: 5,
            options_scrolled: false,
        }),
        EventBody::Judgment(Judgment {
            pair: None,
            left: "A".into(),
            right: "B".into(),
            choice: "tie".into(),
            reason: Some("both fine".into()),
            latency_ms: 12_000,
        }),
        EventBody::Ending(Ending {
            node: "end3".into(),
            outcome: Some("achieved".into()),
        }),
        EventBody::SessionStatus(StatusChange {
            status: Status::Finished,
            reason: None,
        }),
    ];
    for (seq, body) in bodies.into_iter().enumerate() {
        let e = event(seq as u64, body);
        let text = serde_json::to_string(&e).unwrap();
        let back: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(back, e, "{text}");
        assert!(!matches!(back.body, EventBody::Unknown(_)), "{text}");
        // The store's reader (no `Value` on the way) decodes the same event.
        assert_eq!(Event::from_json(text.as_bytes()).unwrap(), e, "{text}");
        let name = e.body.type_name().to_owned();
        assert_eq!(
            Event::decode_if(text.as_bytes(), &|t| t == name).unwrap(),
            (e.seq, Some(e.clone()))
        );
        assert_eq!(
            Event::decode_if(text.as_bytes(), &|_| false).unwrap(),
            (e.seq, None)
        );
    }
}

#[test]
fn unknown_types_are_kept_raw() {
    let text =
        r#"{"seq":0,"at":"2025-03-01T12:00:00Z","schema":1,"body":{"type":"gaze","x":1,"y":[2]}}"#;
    let e: Event = serde_json::from_str(text).unwrap();
    assert_eq!(e.body.type_name(), "gaze");
    assert!(matches!(e.body, EventBody::Unknown(_)));
    assert_eq!(serde_json::to_string(&e).unwrap(), text);
    assert_eq!(Event::from_json(text.as_bytes()).unwrap(), e);
}

#[test]
fn newer_schemas_of_known_types_are_kept_raw() {
    // Raw bodies are written back with their keys in sorted order.
    let text = r#"{"seq":0,"at":"2025-03-01T12:00:00Z","schema":9,"body":{"confidence":0.5,"latency_ms":1,"node":null,"option_id":"a","option_index":0,"type":"decision"}}"#;
    let e: Event = serde_json::from_str(text).unwrap();
    assert!(matches!(e.body, EventBody::Unknown(_)));
    assert_eq!(e.body.type_name(), "decision");
    assert_eq!(serde_json::to_string(&e).unwrap(), text);
    assert_eq!(Event::from_json(text.as_bytes()).unwrap(), e);
}

#[test]
fn malformed_known_bodies_are_errors() {
    let text = r#"{"seq":0,"at":"2025-03-01T12:00:00Z","schema":1,"body":{"type":"decision","option_id":7}}"#;
    let err = serde_json::from_str::<Event>(text).unwrap_err().to_string();
    assert!(err.contains("`decision` event"), "{err}");
    let err = Event::from_json(text.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("`decision` event"), "{err}");
    // A body a reader skips is still checked for its type.
    assert!(Event::decode_if(text.as_bytes(), &|_| false).is_ok());
    let untyped = r#"{"seq":0,"at":"2025-03-01T12:00:00Z","schema":1,"body":{"x":1}}"#;
    assert!(serde_json::from_str::<Event>(untyped).is_err());
    assert!(Event::from_json(untyped.as_bytes()).is_err());
    assert!(Event::decode_if(untyped.as_bytes(), &|_| true).is_err());
    assert!(Event::decode_if(untyped.as_bytes(), &|_| false).is_err());
}

#[test]
fn optional_fields_may_be_missing() {
    let text = r#"{"seq":0,"at":"2025-03-01T12:00:00Z","schema":1,"body":{"type":"text_shown","text":"hi"}}"#;
    let e: Event = serde_json::from_str(text).unwrap();
    assert_eq!(
        e.body,
        EventBody::TextShown(TextShown {
            node: None,
            speaker: None,
            text: "hi".into()
        })
    );
}
