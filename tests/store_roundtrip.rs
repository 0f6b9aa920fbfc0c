//! Round trip (property test): export → import into an empty store → export gives
//! identical bytes, in every format.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use socius::session::{
    CrTurn, Decision, EVENT_SCHEMA, Event, EventBody, IaeAnswer, Note, OptionsPresented,
    PresentedOption, RECORD_SCHEMA, Rating, SESSION_SCHEMA, ScriptRef, Session, SessionId,
    SessionKind, SessionRecord, Status, StatusChange, TextShown, Who,
};
use socius::store::{ExportFormat, ExportOptions, Store};

/// Text with the characters that stress each format: quotes, commas, newlines, pipes, CJK.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9 ,\"\n|#*中文字é]{0,16}", "\\PC{0,12}",]
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    // 2001 … 2065, with nanoseconds: the store must keep whatever precision it is given.
    (1_000_000_000_i64..3_000_000_000, 0_u32..1_000_000_000)
        .prop_map(|(s, ns)| Utc.timestamp_opt(s, ns).single().unwrap_or_default())
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        text().prop_map(|id| Who::Annotator { id }),
        (text(), "[a-z.]{1,12}", any::<f64>(), any::<u32>()).prop_map(|(name, host, t, m)| {
            let mut params = Map::new();
            params.insert(
                "temperature".into(),
                json!(if t.is_finite() { t } else { 0.5 }),
            );
            params.insert("max_tokens".into(), json!(m));
            Who::Model {
                name,
                endpoint_host: host,
                params,
            }
        }),
    ]
}

fn body() -> impl Strategy<Value = EventBody> {
    prop_oneof![
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            text()
        )
            .prop_map(|(node, speaker, text)| EventBody::TextShown(TextShown {
                node,
                speaker,
                text
            })),
        (
            proptest::option::of(text()),
            proptest::collection::vec((text(), text()), 0..4)
        )
            .prop_map(
                |(node, opts)| EventBody::OptionsPresented(OptionsPresented {
                    node,
                    prompt: None,
                    options: opts
                        .into_iter()
                        .map(|(id, text)| PresentedOption {
                            id: id.into(),
                            text
                        })
                        .collect(),
                })
            ),
        (
            proptest::option::of(text()),
            any::<u32>(),
            text(),
            any::<u64>(),
            any::<bool>()
        )
            .prop_map(
                |(node, option_index, option_id, latency_ms, options_scrolled)| {
                    EventBody::Decision(Decision {
                        node,
                        option_index,
                        option_id: option_id.into(),
                        latency_ms,
                        options_scrolled,
                        choice: None,
                    })
                }
            ),
        (text(), -1e12_f64..1e12, proptest::option::of(any::<u64>())).prop_map(
            |(name, value, about_seq)| {
                EventBody::Rating(Rating {
                    name,
                    value,
                    about_seq,
                    comment: None,
                    task: None,
                })
            }
        ),
        (text(), text(), proptest::collection::vec(text(), 0..3)).prop_map(
            |(speaker, text, strategies)| {
                EventBody::CrTurn(CrTurn {
                    // Known names and free ones alike go out as they came in.
                    speaker: socius::session::CrSpeaker::from_name(&speaker),
                    text,
                    stage: Some(socius::session::CrStage::Verdict),
                    channel: None,
                    strategies,
                    ..CrTurn::new(socius::session::CrSpeaker::Client, String::new())
                })
            }
        ),
        text().prop_map(|text| EventBody::Note(Note { text })),
        (
            text(),
            any::<u32>(),
            text(),
            proptest::option::of(any::<bool>())
        )
            .prop_map(
                |(item, option_index, option_id, correct)| EventBody::IaeAnswer(IaeAnswer {
                    item: socius::session::ItemId(item),
                    ability: Some("empathy".into()),
                    option_index,
                    option_id: option_id.into(),
                    correct,
                    latency_ms: 3,
                    options_scrolled: false,
                })
            ),
        prop_oneof![
            Just("finished"),
            Just("abandoned"),
            Just("in_progress"),
            Just("paused")
        ]
        .prop_map(|s| EventBody::SessionStatus(StatusChange {
            status: Status::from_name(s),
            reason: None
        })),
        (text(), any::<i64>()).prop_map(|(t, n)| {
            EventBody::Unknown(json!({"type": "from_the_future", "text": t, "n": n}))
        }),
    ]
}

fn record() -> impl Strategy<Value = SessionRecord> {
    (
        (
            any::<u128>(),
            time(),
            prop_oneof![
                Just("world_tree_gae"),
                Just("cr_dialogue"),
                Just("newfangled")
            ],
        ),
        (
            text(),
            who(),
            any::<u64>(),
            proptest::option::of(text()),
            proptest::option::of(text()),
        ),
        proptest::collection::vec((body(), 0_i64..10_000), 0..12),
    )
        .prop_map(
            |((random, started, kind), (script, who, seed, run_id, note), bodies)| {
                let ms = u64::try_from(started.timestamp_millis()).unwrap_or(0);
                let mut at = started;
                let events: Vec<Event> = bodies
                    .into_iter()
                    .enumerate()
                    .map(|(seq, (body, step))| {
                        at += chrono::TimeDelta::milliseconds(step);
                        Event {
                            seq: seq as u64,
                            at,
                            schema: EVENT_SCHEMA,
                            body,
                        }
                    })
                    .collect();
                let meta = note.map_or(Value::Object(Map::new()), |n| json!({"note": n}));
                let session = Session {
                    id: SessionId::from_parts(ms, random),
                    schema: SESSION_SCHEMA,
                    kind: SessionKind::from_name(kind),
                    script: ScriptRef::new(script, b"content"),
                    who,
                    seed,
                    run_id: run_id.map(Into::into),
                    started,
                    // Derived fields are recomputed on import; start them wrong on purpose.
                    finished: None,
                    status: Status::InProgress,
                    events: 0,
                    updated: started,
                    meta,
                };
                SessionRecord {
                    schema: RECORD_SCHEMA,
                    session,
                    events,
                }
            },
        )
}

fn export_all(store: &Store, anonymize: bool) -> Vec<Vec<u8>> {
    [ExportFormat::Jsonl, ExportFormat::Csv, ExportFormat::Md]
        .into_iter()
        .map(|format| {
            let mut out = Vec::new();
            let options = ExportOptions {
                format,
                anonymize,
                ..ExportOptions::default()
            };
            store.export(&options, &mut out).unwrap();
            out
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn export_import_export_is_byte_identical(records in proptest::collection::vec(record(), 0..5)) {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path().join("first")).unwrap();
        let mut input = String::new();
        for r in &records {
            input.push_str(&serde_json::to_string(r).unwrap());
            input.push('\n');
        }
        let report = first.import_jsonl(input.as_bytes(), "generated").unwrap();
        prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
        let exported = export_all(&first, false);

        let second = Store::open(dir.path().join("second")).unwrap();
        let report = second.import_jsonl(exported[0].as_slice(), "export").unwrap();
        prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
        prop_assert_eq!(report.added, records.len());
        let again = export_all(&second, false);
        for (a, b) in exported.iter().zip(&again) {
            prop_assert_eq!(String::from_utf8_lossy(a), String::from_utf8_lossy(b));
        }

        // Importing the export again changes nothing.
        let report = second.import_jsonl(exported[0].as_slice(), "export").unwrap();
        prop_assert_eq!((report.added, report.extended, report.unchanged), (0, 0, records.len()));
        prop_assert_eq!(&export_all(&second, false), &again);
    }
}
