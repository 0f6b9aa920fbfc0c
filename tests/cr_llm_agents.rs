//! The CR model agents (`agent::llm::cr`) against real HTTP servers on 127.0.0.1, scripted per
//! test: structured replies read into labels, degraded replies, streaming previews, retries,
//! cut replies, what the client and free therapist send, the judge, and refusals.
//! Synchronisation is by awaiting the agent's reply; nothing sleeps.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use socius::agent::llm::cr::{
    CrLlmAgent, Opening, PURPOSE_CLIENT, PURPOSE_JUDGE, PURPOSE_THERAPIST, load_system_prompt,
};
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply as HttpReply};
use socius::agent::llm::{LlmClient, LlmConfig, Pool, RetryPolicy};
use socius::driver::{
    Agent, Answer, ChoiceRequest, ContextTurn, Reply, Request, SaidTurn, TurnCue, TurnRequest,
};
use socius::engine::cr::TurnLabels;
use socius::engine::episode::{Question, QuestionKind};
use socius::script::cr::bundled_protocol;
use socius::script::cr::model::{CrCase, CrProtocol, StageId};
use socius::script::{Script, load_file};
use socius::session::{EventBody, LlmCall};
use socius::vocab::{CrSpeaker, CrStage};
use tokio::sync::mpsc;

// ---- helpers ----

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(1),
        max_elapsed: None,
        jitter_seed: 11,
    }
}

fn pool_for(base_url: &str, model: &str) -> Pool {
    let mut c = LlmConfig::new(base_url, model);
    c.timeout = Duration::from_secs(10);
    c.connect_timeout = Duration::from_secs(2);
    c.retry = fast_retry(3);
    Pool::new(LlmClient::with_api_key(c, None).unwrap(), 2)
}

fn pool(server: &LoopbackServer) -> Pool {
    pool_for(&server.base_url(), "test-model")
}

fn protocol() -> Arc<CrProtocol> {
    Arc::new(bundled_protocol().unwrap().clone())
}

fn case(name: &str) -> Arc<CrCase> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/cr/cases")
        .join(name);
    match load_file(&path).script {
        Some(Script::CrCase(c)) => Arc::new(*c),
        _ => panic!("{name} is not a case"),
    }
}

fn en_case() -> Arc<CrCase> {
    case("en-birthday-drinks.yaml")
}

fn turn(speaker: CrSpeaker, text: &str) -> ContextTurn {
    ContextTurn {
        speaker,
        text: text.to_owned(),
    }
}

fn dialogue() -> Vec<ContextTurn> {
    vec![
        turn(
            CrSpeaker::Client,
            "There's a birthday thing at work on Friday. I'm probably not going.",
        ),
        turn(
            CrSpeaker::Therapist,
            "It sounds like Friday is weighing on you. What goes through your mind when you \
             picture being there?",
        ),
        turn(
            CrSpeaker::Client,
            "That everyone will see how awkward I am. They'll think I'm weird.",
        ),
    ]
}

fn therapist_cue(stage: CrStage, channel: Option<&str>) -> TurnCue {
    TurnCue::Therapist {
        stage,
        channel: channel.map(str::to_owned),
        stage_turn: 2,
        stage_cap: Some(5),
        open_channels: Vec::new(),
    }
}

fn say(cue: TurnCue, context: Vec<ContextTurn>) -> Request {
    Request::Say(TurnRequest {
        speaker: match cue {
            TurnCue::Therapist { .. } => CrSpeaker::Therapist,
            TurnCue::Client { .. } => CrSpeaker::Client,
        },
        cue,
        context,
        stream: None,
    })
}

fn say_streaming(
    cue: TurnCue,
    context: Vec<ContextTurn>,
) -> (Request, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let Request::Say(mut req) = say(cue, context) else {
        unreachable!()
    };
    req.stream = Some(tx);
    (Request::Say(req), rx)
}

fn said(reply: &Reply) -> &SaidTurn {
    match &reply.answer {
        Answer::Said(t) => t,
        other => panic!("expected a turn, got {other:?}"),
    }
}

fn calls(reply: &Reply) -> Vec<&LlmCall> {
    reply
        .exchange
        .iter()
        .map(|e| match e {
            EventBody::LlmCall(c) => &**c,
            other => panic!("not an llm_call: {other:?}"),
        })
        .collect()
}

fn messages(r: &Recorded) -> Vec<(String, String)> {
    let body = r.json().unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A chat completion with this finish reason.
fn completion_with(text: &str, finish_reason: &str) -> HttpReply {
    HttpReply::json(
        200,
        &json!({
            "model": "loopback",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 8, "total_tokens": 58}
        }),
    )
}

fn drain(rx: &mut mpsc::UnboundedReceiver<String>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(piece) = rx.try_recv() {
        out.push(piece);
    }
    out
}

const STAGED_REPLY: &str = r#"{"sentences": [
  {"text": "That sounds like a lot of pressure to carry into Friday.", "strategy": "empathize"},
  {"text": "When you say they'll think you're weird, how sure of that are you?", "strategy": "Questioning"}
], "stage_goal_met": true, "distortions": ["Mind reading", "fortune-telling", "hunch"]}"#;

const STAGED_TEXT: &str = "That sounds like a lot of pressure to carry into Friday. When you say \
                           they'll think you're weird, how sure of that are you?";

// ---- staged therapist ----

#[tokio::test]
async fn a_staged_reply_is_read_into_labels() {
    let server = LoopbackServer::answering(STAGED_REPLY).await.unwrap();
    let p = protocol();
    let agent = CrLlmAgent::staged_therapist(pool(&server), Arc::clone(&p), en_case());
    let reply = agent
        .respond(say(therapist_cue(CrStage::CoreBeliefs, None), dialogue()))
        .await;
    let t = said(&reply);
    assert_eq!(t.text, STAGED_TEXT);
    assert!(!t.cut);
    assert_eq!(
        t.labels,
        Some(TurnLabels {
            strategies: vec!["empathize".into(), "question".into()],
            stage_goal_met: Some(true),
            distortions: vec!["mind_reading".into(), "fortune_telling".into()],
        })
    );
    let c = calls(&reply);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].purpose.as_deref(), Some(PURPOSE_THERAPIST));
    assert_eq!(c[0].raw_reply.as_deref(), Some(STAGED_REPLY));
    let parsed = c[0].parsed.as_ref().unwrap();
    assert_eq!(parsed["method"], "json");
    assert_eq!(parsed["unknown_distortions"], json!(["hunch"]));
    assert_eq!(parsed["labels"]["stage_goal_met"], true);
    assert_eq!(c[0].attempts.len(), 1);
    assert_eq!(c[0].usage.map(|u| u.total_tokens), Some(12));

    // What was sent: the stage's goal and guidance, the catalogues, then the dialogue with the
    // client as user and the therapist as assistant.
    let sent = messages(&server.requests()[0]);
    let core = p.stage(StageId::CoreBeliefs).unwrap();
    assert_eq!(sent[0].0, "system");
    assert!(sent[0].1.contains(core.goal.en.trim()));
    assert!(sent[0].1.contains(core.guidance.en.trim()));
    assert!(sent[0].1.contains("turn 2 of at most 5"));
    assert!(sent[0].1.contains("- mind_reading (Mind reading):"));
    let roles: Vec<&str> = sent[1..].iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    assert_eq!(sent[3].1, dialogue()[2].text);
    let stats = agent.stats();
    assert_eq!(
        (stats.turns, stats.unlabelled, stats.unknown_labels),
        (1, 0, 1)
    );
}

#[tokio::test]
async fn a_fenced_reply_in_prose_is_read() {
    let raw = format!("Of course! Here is my turn:\n\n```json\n{STAGED_REPLY}\n```\n");
    let server = LoopbackServer::answering(&raw).await.unwrap();
    let agent = CrLlmAgent::staged_therapist(pool(&server), protocol(), en_case());
    let reply = agent
        .respond(say(therapist_cue(CrStage::CoreBeliefs, None), dialogue()))
        .await;
    let t = said(&reply);
    assert_eq!(t.text, STAGED_TEXT);
    assert_eq!(t.labels.as_ref().unwrap().stage_goal_met, Some(true));
    assert_eq!(
        calls(&reply)[0].parsed.as_ref().unwrap()["method"],
        "fenced"
    );
}

#[tokio::test]
async fn an_unparseable_reply_becomes_an_unlabelled_turn() {
    let raw = "<think>I should answer in JSON but will not.</think>\n\nThat sounds hard. What \
               would you like to happen on Friday?";
    let server = LoopbackServer::answering(raw).await.unwrap();
    let agent = CrLlmAgent::staged_therapist(pool(&server), protocol(), en_case());
    let reply = agent
        .respond(say(
            therapist_cue(CrStage::AutomaticThoughts, None),
            dialogue(),
        ))
        .await;
    let t = said(&reply);
    assert_eq!(
        t.text,
        "That sounds hard. What would you like to happen on Friday?"
    );
    assert_eq!(t.labels, None);
    let parsed = calls(&reply)[0].parsed.clone().unwrap();
    assert_eq!(parsed["method"], "plain");
    assert_eq!(parsed["reasoning_removed"], true);
    assert_eq!(parsed["labels"], Value::Null);
    assert_eq!(agent.stats().unlabelled, 1);
}

#[tokio::test]
async fn a_staged_stream_shows_only_the_sentences_in_order() {
    // The JSON split at awkward places: inside keys, escapes and values.
    let pieces = [
        "{\"sent",
        "ences\": [{\"te",
        "xt\": \"That sounds \\",
        "\"hard\\\". \", \"strategy\": \"empathize\"}, {\"text\": \"What went",
        " through your mind?\", \"strategy\": \"question\"}], \"stage_goal_met\": false, ",
        "\"distortions\": []}",
    ];
    let sse = HttpReply::sse_text(&pieces);
    let server = LoopbackServer::start(move |_| {
        HttpReply::sse_chunks(vec![sse.clone().into_bytes()], Duration::ZERO)
    })
    .await
    .unwrap();
    let agent = CrLlmAgent::staged_therapist(pool(&server), protocol(), en_case());
    let (req, mut rx) = say_streaming(therapist_cue(CrStage::AutomaticThoughts, None), dialogue());
    let reply = agent.respond(req).await;
    let shown = drain(&mut rx);
    let t = said(&reply);
    assert_eq!(t.text, "That sounds \"hard\". What went through your mind?");
    assert_eq!(shown.concat(), t.text);
    assert!(shown.len() >= 3, "forwarded piece by piece: {shown:?}");
    assert!(
        shown
            .iter()
            .all(|p| !p.contains('{') && !p.contains("strategy"))
    );
    assert_eq!(
        t.labels.as_ref().unwrap().strategies,
        ["empathize", "question"]
    );
    assert_eq!(server.requests()[0].json().unwrap()["stream"], true);
}

#[tokio::test]
async fn a_client_stream_arrives_in_order_and_joins_to_the_turn() {
    let pieces = [
        "<think>stay in char",
        "acter</think>",
        "I don't ",
        "know. ",
        "Maybe I'm just ",
        "bad at ",
        "parties.",
    ];
    let sse = HttpReply::sse_text(&pieces);
    // Each SSE event in its own chunk, so the client reads them one by one.
    let chunks: Vec<Vec<u8>> = sse
        .split_inclusive("\n\n")
        .map(|c| c.as_bytes().to_vec())
        .collect();
    let server =
        LoopbackServer::start(move |_| HttpReply::sse_chunks(chunks.clone(), Duration::ZERO))
            .await
            .unwrap();
    let agent = CrLlmAgent::client(pool(&server), protocol(), en_case(), Opening::Model).unwrap();
    let (req, mut rx) = say_streaming(TurnCue::Client { opening: false }, dialogue()[..2].to_vec());
    let reply = agent.respond(req).await;
    let shown = drain(&mut rx);
    let t = said(&reply);
    assert_eq!(t.text, "I don't know. Maybe I'm just bad at parties.");
    assert_eq!(shown.concat(), t.text);
    // In order: each shown piece is the next part of the turn.
    let mut rest = t.text.as_str();
    for p in &shown {
        rest = rest
            .strip_prefix(p.as_str())
            .unwrap_or_else(|| panic!("{p:?} out of order"));
    }
    assert!(rest.is_empty());
    assert!(shown.len() >= 4, "{shown:?}");
    assert_eq!(calls(&reply)[0].purpose.as_deref(), Some(PURPOSE_CLIENT));
}

#[tokio::test]
async fn a_server_error_then_success_is_retried_and_both_attempts_are_recorded() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = Arc::clone(&hits);
    let server = LoopbackServer::start(move |_| {
        if h.fetch_add(1, Ordering::SeqCst) == 0 {
            HttpReply::json(500, &json!({"error": {"message": "overloaded"}}))
        } else {
            HttpReply::completion(STAGED_REPLY)
        }
    })
    .await
    .unwrap();
    let agent = CrLlmAgent::staged_therapist(pool(&server), protocol(), en_case());
    let reply = agent
        .respond(say(therapist_cue(CrStage::CoreBeliefs, None), dialogue()))
        .await;
    assert_eq!(said(&reply).text, STAGED_TEXT);
    let c = calls(&reply);
    assert_eq!(c.len(), 1, "one call, two attempts");
    assert_eq!(c[0].attempts.len(), 2);
    assert_eq!(c[0].attempts[0].status, Some(500));
    assert!(
        c[0].attempts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("overloaded")
    );
    assert_eq!(c[0].attempts[1].status, Some(200));
    assert_eq!(c[0].attempts[1].error, None);
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_call_that_keeps_failing_is_a_failed_answer_with_its_record() {
    let server = LoopbackServer::start(|_| {
        HttpReply::json(503, &json!({"error": {"message": "down for maintenance"}}))
    })
    .await
    .unwrap();
    let agent = CrLlmAgent::staged_therapist(pool(&server), protocol(), en_case());
    let reply = agent
        .respond(say(therapist_cue(CrStage::CoreBeliefs, None), dialogue()))
        .await;
    let Answer::Failed(e) = &reply.answer else {
        panic!("{:?}", reply.answer)
    };
    assert!(e.contains("down for maintenance"), "{e}");
    let c = calls(&reply);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].attempts.len(), 3);
    assert!(c[0].error.is_some() && c[0].raw_reply.is_none());
    assert_eq!(agent.stats().failed, 1);
}

#[tokio::test]
async fn credentials_in_the_base_url_never_reach_the_error() {
    // A port nobody listens on: the connection is refused and the error quotes the URL.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://bob:hunter2@127.0.0.1:{port}/v1");
    let agent = CrLlmAgent::staged_therapist(pool_for(&base, "m"), protocol(), en_case());
    let reply = agent
        .respond(say(therapist_cue(CrStage::CoreBeliefs, None), dialogue()))
        .await;
    let Answer::Failed(e) = &reply.answer else {
        panic!("{:?}", reply.answer)
    };
    assert!(!e.contains("hunter2"), "{e}");
    assert!(
        e.contains("<redacted>@127.0.0.1"),
        "the URL is quoted, scrubbed: {e}"
    );
    let record = serde_json::to_string(&reply.exchange).unwrap();
    assert!(!record.contains("hunter2"), "{record}");
}

#[tokio::test]
async fn a_reply_cut_at_the_token_limit_is_marked_cut() {
    let cut_json = r#"{"sentences": [{"text": "I can hear how much Friday worries you.", "strategy": "empathize"}, {"text": "What do you imag"#;
    let server = LoopbackServer::start(move |_| completion_with(cut_json, "length"))
        .await
        .unwrap();
    let agent = CrLlmAgent::staged_therapist(pool(&server), protocol(), en_case());
    let reply = agent
        .respond(say(
            therapist_cue(CrStage::AutomaticThoughts, None),
            dialogue(),
        ))
        .await;
    let t = said(&reply);
    assert!(t.cut);
    assert_eq!(t.labels, None);
    assert_eq!(
        t.text,
        "I can hear how much Friday worries you. What do you imag"
    );
    let c = calls(&reply);
    assert_eq!(c[0].finish_reason.as_deref(), Some("length"));
    assert_eq!(c[0].parsed.as_ref().unwrap()["method"], "salvaged");
    assert_eq!(agent.stats().cut, 1);

    // A client cut mid-sentence too.
    let server = LoopbackServer::start(|_| completion_with("I just think that maybe", "length"))
        .await
        .unwrap();
    let agent = CrLlmAgent::client(pool(&server), protocol(), en_case(), Opening::Model).unwrap();
    let reply = agent
        .respond(say(
            TurnCue::Client { opening: false },
            dialogue()[..2].to_vec(),
        ))
        .await;
    assert!(said(&reply).cut);
    assert_eq!(said(&reply).text, "I just think that maybe");
}

// ---- simulated client ----

fn forbidden(p: &CrProtocol) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in p.stages() {
        out.push(s.id.name().to_owned());
        out.push(s.id.name().replace('_', " "));
        out.push(s.title.en.to_lowercase());
        out.push(s.title.zh.clone());
    }
    out.extend(
        [
            "distortion",
            "认知扭曲",
            "认知歪曲",
            "defense",
            "prosecution",
            "verdict",
            "辩护",
            "控方",
            "裁决",
            "stage_goal_met",
            "strategy",
        ]
        .map(str::to_owned),
    );
    for d in &p.distortions {
        out.push(d.id.clone());
    }
    out
}

#[tokio::test]
async fn the_client_prompt_hides_the_method_and_carries_the_profile() {
    let p = protocol();
    for name in ["en-birthday-drinks.yaml", "zh-blood-sugar.yaml"] {
        let c = case(name);
        let server = LoopbackServer::answering("嗯……我也不知道。").await.unwrap();
        let agent = CrLlmAgent::client(
            pool(&server),
            Arc::clone(&p),
            Arc::clone(&c),
            Opening::Model,
        )
        .unwrap();
        // The opening, then a later turn.
        let opening = agent
            .respond(say(TurnCue::Client { opening: true }, Vec::new()))
            .await;
        assert_eq!(said(&opening).labels, None);
        let later = agent
            .respond(say(
                TurnCue::Client { opening: false },
                dialogue()[..2].to_vec(),
            ))
            .await;
        assert_eq!(said(&later).text, "嗯……我也不知道。");
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2);
        let profile = c.profile.as_ref().unwrap();
        for r in &reqs {
            let sent = messages(r);
            let all = sent
                .iter()
                .map(|(_, m)| m.to_lowercase())
                .collect::<Vec<_>>()
                .join("\n");
            for word in forbidden(&p) {
                assert!(!all.contains(&word), "{name}: {word:?} sent to the client");
            }
            let system = &sent[0].1;
            assert!(system.contains(profile.history.trim()));
            assert!(system.contains(profile.automatic_thoughts[0].trim()));
            assert!(system.contains(profile.core_beliefs[0].belief.trim()));
            assert!(system.contains(profile.resistance.how.trim()));
            assert!(system.contains(c.situation.trim()));
        }
        // The opening asks for the situation; later the client is the assistant side.
        let first = messages(&reqs[0]);
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].0, "user");
        let second = messages(&reqs[1]);
        let roles: Vec<&str> = second.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(second[2].1, dialogue()[0].text);
        assert_eq!(second[3].1, dialogue()[1].text);
        assert_eq!(calls(&later)[0].purpose.as_deref(), Some(PURPOSE_CLIENT));
    }
}

#[tokio::test]
async fn a_verbatim_opening_needs_no_call() {
    let server = LoopbackServer::answering("unused").await.unwrap();
    let c = en_case();
    let agent =
        CrLlmAgent::client(pool(&server), protocol(), Arc::clone(&c), Opening::Verbatim).unwrap();
    let (req, mut rx) = say_streaming(TurnCue::Client { opening: true }, Vec::new());
    let reply = agent.respond(req).await;
    assert_eq!(said(&reply).text, c.situation.trim());
    assert_eq!(drain(&mut rx).concat(), c.situation.trim());
    assert!(reply.exchange.is_empty());
    assert_eq!(server.request_count(), 0);
}

// ---- free therapist and judge ----

#[tokio::test]
async fn the_free_therapist_sends_the_system_prompt_file_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("peppy.txt");
    let text = "  You are Peppy, a supportive companion.\n\n- Be warm.\n- 用对方的语言回答。\n";
    std::fs::write(&path, text).unwrap();
    let system = load_system_prompt(&path).unwrap();
    assert_eq!(system, text);

    let server = LoopbackServer::answering("That sounds really hard. What happened?")
        .await
        .unwrap();
    let agent = CrLlmAgent::free_therapist(pool(&server), protocol(), en_case(), Some(system));
    let reply = agent
        .respond(say(
            therapist_cue(CrStage::Defense, Some("mind_reading")),
            dialogue(),
        ))
        .await;
    let t = said(&reply);
    assert_eq!(t.text, "That sounds really hard. What happened?");
    assert_eq!(t.labels, None, "no judge: unlabelled");
    let sent = messages(&server.requests()[0]);
    assert_eq!(sent[0], ("system".to_owned(), text.to_owned()));
    let all: String = sent.iter().map(|(_, m)| m.as_str()).collect();
    assert!(
        !all.contains("defense") && !all.contains("Defense"),
        "no stage told"
    );
    assert!(!all.contains("mind_reading"));
    assert_eq!(agent.stats().unlabelled, 1);

    // A byte-order mark is all that is dropped.
    std::fs::write(&path, format!("\u{FEFF}{text}")).unwrap();
    assert_eq!(load_system_prompt(&path).unwrap(), text);

    // Files that cannot be a system prompt.
    std::fs::write(&path, "  \n").unwrap();
    assert!(load_system_prompt(&path).is_err());
    std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
    assert!(load_system_prompt(&path).is_err());
    assert!(load_system_prompt(&dir.path().join("missing.txt")).is_err());
}

#[tokio::test]
async fn the_judge_labels_a_free_turn() {
    let therapist = LoopbackServer::answering(
        "It sounds like you're sure they'll think you're weird. What makes you so sure?",
    )
    .await
    .unwrap();
    let judge = LoopbackServer::answering(
        "Rating:\n```json\n{\"stage_goal_met\": true, \"distortions\": [\"mind reading\", \"labelling\"]}\n```",
    )
    .await
    .unwrap();
    let p = protocol();
    let agent = CrLlmAgent::free_therapist(pool(&therapist), Arc::clone(&p), en_case(), None)
        .with_judge(pool_for(&judge.base_url(), "judge-model"));
    let reply = agent
        .respond(say(therapist_cue(CrStage::CoreBeliefs, None), dialogue()))
        .await;
    let t = said(&reply);
    assert_eq!(
        t.labels,
        Some(TurnLabels {
            strategies: Vec::new(),
            stage_goal_met: Some(true),
            distortions: vec!["mind_reading".into(), "labeling".into()],
        })
    );
    let c = calls(&reply);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].purpose.as_deref(), Some(PURPOSE_THERAPIST));
    assert_eq!(c[1].purpose.as_deref(), Some(PURPOSE_JUDGE));
    assert_eq!(c[1].model.as_deref(), Some("judge-model"));
    assert_eq!(c[1].parsed.as_ref().unwrap()["stage_goal_met"], true);

    // The free therapist heard our default prompt and no stage; the judge heard the stage's
    // goal and the turn it rates.
    let sent = messages(&therapist.requests()[0]);
    assert!(
        !sent[0]
            .1
            .contains(p.stage(StageId::CoreBeliefs).unwrap().goal.en.trim())
    );
    let judged = messages(&judge.requests()[0]);
    assert!(
        judged[0]
            .1
            .contains(p.stage(StageId::CoreBeliefs).unwrap().goal.en.trim())
    );
    assert!(judged[1].1.contains("What makes you so sure?"));
    assert!(judged[1].1.contains(&dialogue()[2].text));
    assert_eq!(agent.stats().unlabelled, 0);
}

#[tokio::test]
async fn a_failing_judge_leaves_the_turn_unlabelled() {
    let therapist = LoopbackServer::answering("Tell me more.").await.unwrap();
    let judge = LoopbackServer::start(|_| HttpReply::json(500, &json!({"error": "boom"})))
        .await
        .unwrap();
    let agent = CrLlmAgent::free_therapist(pool(&therapist), protocol(), en_case(), None)
        .with_judge(pool(&judge));
    let reply = agent
        .respond(say(
            therapist_cue(CrStage::AutomaticThoughts, None),
            dialogue(),
        ))
        .await;
    let t = said(&reply);
    assert_eq!((t.text.as_str(), &t.labels), ("Tell me more.", &None));
    let c = calls(&reply);
    assert_eq!(c.len(), 2);
    assert!(c[1].error.is_some());

    // A judge that answers prose: also unlabelled, the reply kept in the record.
    let judge = LoopbackServer::answering("The goal seems met.")
        .await
        .unwrap();
    let agent = CrLlmAgent::free_therapist(pool(&therapist), protocol(), en_case(), None)
        .with_judge(pool(&judge));
    let reply = agent
        .respond(say(
            therapist_cue(CrStage::AutomaticThoughts, None),
            dialogue(),
        ))
        .await;
    assert_eq!(said(&reply).labels, None);
    assert!(calls(&reply)[1].parsed.as_ref().unwrap()["failure"].is_string());
}

// ---- refusals ----

#[tokio::test]
async fn requests_for_the_wrong_speaker_or_a_choice_are_refused() {
    let server = LoopbackServer::answering("unused").await.unwrap();
    let therapist = CrLlmAgent::staged_therapist(pool(&server), protocol(), en_case());
    let reply = therapist
        .respond(say(TurnCue::Client { opening: false }, dialogue()))
        .await;
    assert!(matches!(&reply.answer, Answer::Failed(e) if e.contains("client's turn")));
    let client = CrLlmAgent::client(pool(&server), protocol(), en_case(), Opening::Model).unwrap();
    let reply = client
        .respond(say(
            therapist_cue(CrStage::Defense, Some("labeling")),
            dialogue(),
        ))
        .await;
    assert!(matches!(&reply.answer, Answer::Failed(e) if e.contains("therapist's turn")));

    let tree_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/en-salary-talk.yaml");
    let Some(Script::WorldTree(tree)) = load_file(&tree_path).script else {
        panic!("not a tree")
    };
    let choose = Request::Choose(ChoiceRequest {
        tree: Arc::new(tree),
        question: Question {
            node: 0,
            kind: QuestionKind::Gae,
            options: Vec::new(),
        },
        path: vec![0],
        decisions: Vec::new(),
    });
    let reply = therapist.respond(choose).await;
    assert!(matches!(&reply.answer, Answer::Failed(e) if e.contains("answers turns only")));
    assert_eq!(server.request_count(), 0);

    // A case without a profile cannot be played.
    let mut bare = (*en_case()).clone();
    bare.profile = None;
    assert!(CrLlmAgent::client(pool(&server), protocol(), Arc::new(bare), Opening::Model).is_err());
}
