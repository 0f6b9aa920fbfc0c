//! The chat client against real HTTP servers on 127.0.0.1 (started here, scripted per test):
//! request shape, retries, timeouts, garbage bodies, SSE, the concurrency cap, and the API key
//! staying out of every record.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use socius::agent::llm::testing::{LoopbackServer, Recorded, Reply};
use socius::agent::llm::{
    ApiKey, ChatMessage, Choices, ErrorKind, LlmClient, LlmConfig, LlmError, Pool, RetryPolicy,
    StreamEvent, ask_choice,
};
use socius::script::model::Language;

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
        max_elapsed: None,
        jitter_seed: 7,
    }
}

fn config(server: &LoopbackServer) -> LlmConfig {
    let mut c = LlmConfig::new(server.base_url(), "test-model");
    c.timeout = Duration::from_secs(5);
    c.connect_timeout = Duration::from_secs(2);
    c.retry = fast_retry(4);
    c
}

fn client(config: LlmConfig) -> LlmClient {
    LlmClient::with_api_key(config, None).unwrap()
}

fn hello() -> Vec<ChatMessage> {
    vec![
        ChatMessage::system("You answer with one letter."),
        ChatMessage::user("A or B?"),
    ]
}

fn error_json(message: &str) -> Value {
    json!({"error": {"message": message, "type": "invalid_request_error"}})
}

#[tokio::test]
async fn request_shape() {
    let server = LoopbackServer::answering(r#"{"choice": "B"}"#)
        .await
        .unwrap();
    let mut cfg = config(&server);
    cfg.base_url = format!("{}/", server.base_url());
    cfg.temperature = Some(0.3);
    cfg.max_tokens = Some(64);
    cfg.extra.insert("top_p".into(), json!(0.9));
    cfg.extra.insert("seed".into(), json!(7));
    let client = LlmClient::with_api_key(cfg, ApiKey::new("sk-test-123")).unwrap();
    assert!(client.has_api_key());
    let done = client.complete(&hello()).await.unwrap();

    assert_eq!(done.text, r#"{"choice": "B"}"#);
    assert_eq!(done.finish_reason.as_deref(), Some("stop"));
    assert_eq!(done.model.as_deref(), Some("loopback"));
    assert_eq!(done.usage.map(|u| u.total_tokens), Some(12));
    assert_eq!(done.attempts.len(), 1);
    assert_eq!(done.attempts[0].status, Some(200));
    assert_eq!(done.attempts[0].error, None);
    assert!(done.latency >= done.attempts[0].latency);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("authorization"), Some("Bearer sk-test-123"));
    assert!(r.header("user-agent").unwrap().starts_with("socius/"));
    let body = r.json().unwrap();
    assert_eq!(
        body,
        json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": "You answer with one letter."},
                {"role": "user", "content": "A or B?"}
            ],
            "temperature": 0.3,
            "max_tokens": 64,
            "top_p": 0.9,
            "seed": 7
        })
    );
}

#[tokio::test]
async fn no_key_means_no_authorization_header() {
    let server = LoopbackServer::answering("A").await.unwrap();
    let mut cfg = config(&server);
    cfg.api_key_env = "SOCIUS_TEST_SURELY_UNSET_KEY_VARIABLE".into();
    let client = LlmClient::new(cfg).unwrap();
    assert!(!client.has_api_key());
    client.complete(&hello()).await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("authorization"), None);
    // Defaults leave temperature and length to the server.
    let body = r.json().unwrap();
    assert_eq!(body.get("temperature"), None);
    assert_eq!(body.get("max_tokens"), None);
    assert_eq!(body.get("stream"), None);
}

#[test]
fn api_keys_come_from_the_named_variable() {
    let lookup = |name: &str| (name == "MY_KEY").then(|| " sk-x ".to_owned());
    assert!(ApiKey::from_lookup("MY_KEY", lookup).is_some());
    assert!(ApiKey::from_lookup("OTHER", lookup).is_none());
    assert!(ApiKey::from_lookup("MY_KEY", |_| Some("  ".into())).is_none());
    assert!(ApiKey::from_env("SOCIUS_TEST_SURELY_UNSET_KEY_VARIABLE").is_none());
}

#[test]
fn endpoints_and_configuration_errors() {
    let e = |base: &str| LlmConfig::new(base, "m").endpoint();
    assert_eq!(e("http://h:1/v1"), "http://h:1/v1/chat/completions");
    assert_eq!(e("http://h:1/v1/"), "http://h:1/v1/chat/completions");
    assert_eq!(e("http://h:1"), "http://h:1/chat/completions");
    assert_eq!(
        e("http://h:1/v1/chat/completions"),
        "http://h:1/v1/chat/completions"
    );
    let bad = LlmClient::with_api_key(LlmConfig::new("ftp://h/v1", "m"), None);
    assert!(matches!(bad, Err(LlmError::Config(_))));
    let bad = LlmClient::with_api_key(LlmConfig::new("not a url", "m"), None);
    assert!(matches!(bad, Err(LlmError::Config(_))));
    let mut cfg = LlmConfig::new("http://h/v1", "m");
    cfg.extra.insert("model".into(), json!("other"));
    let bad = LlmClient::with_api_key(cfg, None);
    assert!(matches!(bad, Err(LlmError::Config(m)) if m.contains("model")));
}

#[tokio::test]
async fn https_uses_rustls_with_ring() {
    // Building an https client needs a rustls crypto provider (ring, installed by the client);
    // a TLS handshake with a plain-HTTP server then fails as a typed connect error.
    let server = LoopbackServer::answering("A").await.unwrap();
    let mut cfg = config(&server);
    cfg.base_url = format!("https://{}/v1", server.addr());
    cfg.retry = fast_retry(1);
    let err = client(cfg).complete(&hello()).await.unwrap_err();
    assert!(matches!(err.error, LlmError::Connect { .. }), "{err:?}");
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn extra_parameters_override_and_null_removes() {
    let server = LoopbackServer::answering("A").await.unwrap();
    let mut cfg = config(&server);
    cfg.temperature = Some(1.0);
    cfg.max_tokens = Some(10);
    cfg.extra.insert("max_tokens".into(), Value::Null);
    cfg.extra.insert("max_completion_tokens".into(), json!(50));
    cfg.extra.insert("temperature".into(), json!(0.0));
    client(cfg).complete(&hello()).await.unwrap();
    let body = server.requests()[0].json().unwrap();
    assert_eq!(body.get("max_tokens"), None);
    assert_eq!(body["max_completion_tokens"], json!(50));
    assert_eq!(body["temperature"], json!(0.0));
}

#[tokio::test]
async fn retries_server_errors_then_succeeds() {
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 => Reply::json(500, &error_json("boom")),
        1 => Reply::raw(502, "text/html", "<h1>bad gateway</h1>"),
        _ => Reply::completion("C"),
    })
    .await
    .unwrap();
    let done = client(config(&server)).complete(&hello()).await.unwrap();
    assert_eq!(done.text, "C");
    let a = &done.attempts;
    assert_eq!(a.len(), 3);
    assert_eq!(
        a.iter().map(|x| x.status).collect::<Vec<_>>(),
        [Some(500), Some(502), Some(200)]
    );
    assert_eq!(
        a.iter().map(|x| x.error).collect::<Vec<_>>(),
        [Some(ErrorKind::Server), Some(ErrorKind::Server), None]
    );
    assert!(a[0].message.as_deref().unwrap().contains("boom"));
    assert!(
        a[1].message
            .as_deref()
            .unwrap()
            .contains("<h1>bad gateway</h1>")
    );
    assert!(a[0].waited.is_some() && a[1].waited.is_some() && a[2].waited.is_none());
    assert_eq!(a.iter().map(|x| x.number).collect::<Vec<_>>(), [1, 2, 3]);
}

#[tokio::test]
async fn gives_up_after_the_attempt_cap() {
    let server = LoopbackServer::start(|_: &Recorded| Reply::json(503, &error_json("overloaded")))
        .await
        .unwrap();
    let mut cfg = config(&server);
    cfg.retry = fast_retry(3);
    let err = client(cfg).complete(&hello()).await.unwrap_err();
    assert_eq!(server.request_count(), 3);
    assert_eq!(err.attempts.len(), 3);
    assert_eq!(err.attempts[2].waited, None);
    assert!(matches!(
        &err.error,
        LlmError::Status { status: 503, kind: ErrorKind::Server, message } if message == "overloaded"
    ));
    assert_eq!(
        err.to_string(),
        "HTTP 503 from the server: overloaded (after 3 attempts)"
    );
}

#[tokio::test]
async fn rate_limits_honour_retry_after_within_the_cap() {
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 => Reply::json(429, &error_json("slow down")).with_header("retry-after", "1"),
        1 => Reply::json(429, &error_json("still")).with_header("retry-after-ms", "40"),
        _ => Reply::completion("A"),
    })
    .await
    .unwrap();
    let mut cfg = config(&server);
    cfg.retry.max_retry_after = Duration::from_millis(60);
    let done = client(cfg).complete(&hello()).await.unwrap();
    let a = &done.attempts;
    assert_eq!(a[0].error, Some(ErrorKind::RateLimited));
    assert_eq!(a[0].retry_after, Some(Duration::from_secs(1)));
    assert_eq!(a[0].waited, Some(Duration::from_millis(60)), "capped");
    assert_eq!(a[1].retry_after, Some(Duration::from_millis(40)));
    assert!(a[1].waited.unwrap() >= Duration::from_millis(40));
    let reqs = server.requests();
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(60));
    assert!(reqs[2].at - reqs[1].at >= Duration::from_millis(40));
}

#[tokio::test]
async fn other_client_errors_fail_at_once_with_the_servers_message() {
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 => Reply::json(400, &error_json("Unknown model: test-model")),
        _ => Reply::raw(404, "text/plain", "x".repeat(2000)),
    })
    .await
    .unwrap();
    let c = client(config(&server));
    let err = c.complete(&hello()).await.unwrap_err();
    assert_eq!(err.attempts.len(), 1);
    assert!(matches!(
        &err.error,
        LlmError::Status { status: 400, kind: ErrorKind::Client, message }
            if message == "Unknown model: test-model"
    ));
    let err = c.complete(&hello()).await.unwrap_err();
    assert_eq!(err.attempts.len(), 1);
    let LlmError::Status { message, .. } = &err.error else {
        panic!("{err:?}")
    };
    assert!(
        message.chars().count() <= 301,
        "truncated: {}",
        message.len()
    );
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried() {
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 => Reply::Hang,
        _ => Reply::completion("D"),
    })
    .await
    .unwrap();
    let mut cfg = config(&server);
    cfg.timeout = Duration::from_millis(150);
    let done = client(cfg).complete(&hello()).await.unwrap();
    assert_eq!(done.text, "D");
    assert_eq!(done.attempts[0].error, Some(ErrorKind::Timeout));
    assert_eq!(done.attempts[0].status, None);
    assert!(done.attempts[0].latency >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_hanging_server_meets_the_timeout() {
    let server = LoopbackServer::start(|_: &Recorded| Reply::Hang)
        .await
        .unwrap();
    let mut cfg = config(&server);
    cfg.timeout = Duration::from_millis(200);
    cfg.retry = fast_retry(2);
    let t0 = Instant::now();
    let err = client(cfg.clone()).complete(&hello()).await.unwrap_err();
    let took = t0.elapsed();
    assert!(matches!(err.error, LlmError::Timeout { .. }), "{err:?}");
    assert_eq!(err.attempts.len(), 2);
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");

    // A call deadline cuts the attempts short.
    cfg.retry = fast_retry(50);
    cfg.retry.max_elapsed = Some(Duration::from_millis(500));
    let t0 = Instant::now();
    let err = client(cfg).complete(&hello()).await.unwrap_err();
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(900), "{took:?}");
    assert!(err.attempts.len() <= 3, "{}", err.attempts.len());
    assert_eq!(err.attempts.last().unwrap().waited, None);
}

#[tokio::test]
async fn connection_failures_are_typed_and_retried() {
    // A port that was free a moment ago and has no listener now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = LlmConfig::new(format!("http://127.0.0.1:{port}/v1"), "m");
    cfg.retry = fast_retry(2);
    let err = client(cfg).complete(&hello()).await.unwrap_err();
    assert_eq!(err.attempts.len(), 2);
    assert!(matches!(err.error, LlmError::Connect { .. }), "{err:?}");
    assert_eq!(err.attempts[0].error, Some(ErrorKind::Connect));

    // A connection closed without an answer is retried too.
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 => Reply::Close,
        _ => Reply::completion("B"),
    })
    .await
    .unwrap();
    let done = client(config(&server)).complete(&hello()).await.unwrap();
    assert_eq!(done.text, "B");
    assert_eq!(done.attempts.len(), 2);
    assert!(done.attempts[0].error.is_some_and(ErrorKind::is_retryable));
}

#[tokio::test]
async fn garbage_bodies_are_typed_errors() {
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 => Reply::json(200, &json!({"object": "chat.completion"})),
        1 => Reply::json(200, &json!({"choices": []})),
        _ => Reply::json(200, &json!({"error": {"message": "quota"}})),
    })
    .await
    .unwrap();
    let c = client(config(&server));
    // JSON that says no: not retried.
    for want in ["no choices", "no choices", "quota"] {
        let err = c.complete(&hello()).await.unwrap_err();
        assert_eq!(err.attempts.len(), 1, "not retried");
        assert_eq!(err.attempts[0].error, Some(ErrorKind::InvalidResponse));
        match &err.error {
            LlmError::InvalidResponse { message } => {
                assert!(message.contains(want), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_success_status_with_a_body_that_is_not_json_is_retried() {
    // A proxy's HTML page, then a body cut short, then the real answer.
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 => Reply::raw(200, "text/html", "<html>502 upstream busy</html>"),
        1 => Reply::raw(200, "application/json", "{\"choices\": [{\"message\": "),
        _ => Reply::completion("B"),
    })
    .await
    .unwrap();
    let c = client(config(&server));
    let done = c.complete(&hello()).await.unwrap();
    assert_eq!(done.text, "B");
    assert_eq!(done.attempts.len(), 3);
    for a in &done.attempts[..2] {
        assert_eq!(a.error, Some(ErrorKind::InvalidResponse));
        assert!(a.waited.is_some(), "{a:?}");
        assert!(a.message.as_deref().unwrap().contains("not JSON"), "{a:?}");
    }
    // A server that never sends JSON: every attempt is used, then a typed failure.
    let server = LoopbackServer::start(|_: &Recorded| Reply::raw(200, "text/html", "<p>login</p>"))
        .await
        .unwrap();
    let err = client(config(&server))
        .complete(&hello())
        .await
        .unwrap_err();
    assert_eq!(err.attempts.len(), 4);
    assert!(
        matches!(err.error, LlmError::NotJson { .. }),
        "{:?}",
        err.error
    );
    assert!(err.to_string().contains("<p>login</p>"), "{err}");
}

#[tokio::test]
async fn a_long_error_body_keeps_its_start() {
    let mut page = String::from("<html><title>Gateway overloaded</title>");
    page.push_str(&"x".repeat(200_000));
    let server =
        LoopbackServer::start(move |_: &Recorded| Reply::raw(503, "text/html", page.clone()))
            .await
            .unwrap();
    let mut cfg = config(&server);
    cfg.retry = fast_retry(1);
    let err = client(cfg).complete(&hello()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Gateway overloaded"), "{text}");
    assert!(!text.contains("(empty body)"), "{text}");
}

/// Split `bytes` into chunks of `size`, checking that some boundary falls inside a character.
fn split(bytes: &[u8], size: usize) -> Vec<Vec<u8>> {
    let chunks: Vec<Vec<u8>> = bytes.chunks(size).map(<[u8]>::to_vec).collect();
    assert!(
        chunks.iter().any(|c| std::str::from_utf8(c).is_err()),
        "no chunk boundary inside a character"
    );
    chunks
}

#[tokio::test]
async fn sse_chunks_split_inside_utf8_characters() {
    let pieces = [
        "我想",
        "一想……",
        "{\"choice\": \"Ｂ\"，",
        "\"reason\": \"她累了\"}",
    ];
    let sse = Reply::sse_text(&pieces);
    for size in [1, 2, 5, 7, 11, 13] {
        let chunks = split(sse.as_bytes(), size);
        let server = LoopbackServer::start(move |_: &Recorded| {
            Reply::sse_chunks(chunks.clone(), Duration::ZERO)
        })
        .await
        .unwrap();
        let mut deltas: Vec<String> = Vec::new();
        let mut on_event = |e: StreamEvent<'_>| {
            if let StreamEvent::Delta { text, attempt } = e {
                assert_eq!(attempt, 1);
                deltas.push(text.to_owned());
            }
        };
        let done = client(config(&server))
            .complete_streaming(&hello(), &mut on_event)
            .await
            .unwrap();
        assert_eq!(done.text, pieces.concat());
        assert_eq!(deltas, pieces);
        assert_eq!(done.finish_reason.as_deref(), Some("stop"));
        let r = &server.requests()[0];
        assert_eq!(r.json().unwrap()["stream"], json!(true));
        assert_eq!(r.header("accept"), Some("text/event-stream"));
        let parsed = socius::agent::llm::parse_choice(&done.text, Choices::letters(4));
        assert_eq!(parsed.map(|p| p.letter), Ok('B'));
    }
}

#[tokio::test]
async fn streaming_by_configuration_and_servers_that_ignore_it() {
    let sse = Reply::sse_text(&["A", "B"]);
    let server = LoopbackServer::start(move |r: &Recorded| match r.index {
        0 => Reply::sse_chunks(vec![sse.clone().into_bytes()], Duration::ZERO),
        _ => Reply::completion("plain"),
    })
    .await
    .unwrap();
    let mut cfg = config(&server);
    cfg.stream = true;
    let c = client(cfg);
    assert_eq!(c.complete(&hello()).await.unwrap().text, "AB");
    // The server answers a stream request with ordinary JSON: still fine.
    assert_eq!(c.complete(&hello()).await.unwrap().text, "plain");
}

#[tokio::test]
async fn broken_streams_restart_or_fail_typed() {
    let good = Reply::sse_text(&["fine"]);
    let server = LoopbackServer::start(move |r: &Recorded| match r.index {
        // Deltas, then the stream stops without [DONE] or a finish reason.
        0 => Reply::sse_chunks(
            vec![b"data: {\"choices\":[{\"delta\":{\"content\":\"half\"}}]}\n\n".to_vec()],
            Duration::ZERO,
        ),
        1 => Reply::sse_chunks(vec![good.clone().into_bytes()], Duration::ZERO),
        _ => Reply::sse_chunks(
            vec![b"data: {\"error\":{\"message\":\"model overloaded\"}}\n\n".to_vec()],
            Duration::ZERO,
        ),
    })
    .await
    .unwrap();
    let c = client(config(&server));
    let mut events = Vec::new();
    let mut on_event = |e: StreamEvent<'_>| {
        events.push(match e {
            StreamEvent::Delta { attempt, text } => format!("{attempt}:{text}"),
            StreamEvent::Reasoning { attempt, text } => format!("{attempt}~{text}"),
            StreamEvent::Restart { attempt } => format!("restart {attempt}"),
        });
    };
    let done = c.complete_streaming(&hello(), &mut on_event).await.unwrap();
    assert_eq!(done.text, "fine");
    assert_eq!(events, ["1:half", "restart 2", "2:fine"]);
    assert_eq!(done.attempts[0].error, Some(ErrorKind::Transport));

    let err = c
        .complete_streaming(&hello(), &mut |_: StreamEvent<'_>| {})
        .await
        .unwrap_err();
    assert_eq!(err.attempts.len(), 1);
    assert!(
        matches!(&err.error, LlmError::Stream { message } if message == "model overloaded"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_caps_requests_in_flight() {
    let server = LoopbackServer::start(|_: &Recorded| {
        Reply::Delay(Duration::from_millis(80), Box::new(Reply::completion("A")))
    })
    .await
    .unwrap();
    let c = client(config(&server));

    // Unlimited: all twelve reach the server together (shows the server counts).
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let c = c.clone();
        set.spawn(async move { c.complete(&hello()).await.map(|d| d.text) });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap(), "A");
    }
    let unlimited = server.max_in_flight();
    assert!(unlimited > 3, "{unlimited}");

    // Capped at 3.
    let server = LoopbackServer::start(|_: &Recorded| {
        Reply::Delay(Duration::from_millis(80), Box::new(Reply::completion("A")))
    })
    .await
    .unwrap();
    let pool = Pool::new(client(config(&server)), 3);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let pool = pool.clone();
        set.spawn(async move { pool.complete(&hello()).await.map(|d| d.text) });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap(), "A");
    }
    assert_eq!(server.request_count(), 12);
    assert_eq!(server.max_in_flight(), 3);
    assert_eq!(pool.limiter().in_use(), 0);
    assert_eq!(pool.limiter().limit(), 3);
}

#[tokio::test]
async fn the_api_key_never_appears_in_records_debug_or_errors() {
    const KEY: &str = "sk-SECRET-0123456789abcdef";
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 => Reply::json(500, &error_json(&format!("backend saw key {KEY}"))),
        1 => Reply::completion("A"),
        _ => Reply::json(
            401,
            &error_json(&format!("Incorrect API key provided: {KEY}. Check it.")),
        ),
    })
    .await
    .unwrap();
    let cfg = config(&server);
    let key = ApiKey::new(KEY).unwrap();
    let c = LlmClient::with_api_key(cfg.clone(), Some(key.clone())).unwrap();
    let done = c.complete(&hello()).await.unwrap();
    let err = c.complete(&hello()).await.unwrap_err();
    // The key was sent…
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    // …and is nowhere else.
    let texts = [
        format!("{key:?}"),
        format!("{c:?}"),
        format!("{cfg:?}"),
        serde_json::to_string(&cfg).unwrap(),
        format!("{done:?}"),
        serde_json::to_string(&done).unwrap(),
        serde_json::to_string(&done.attempts).unwrap(),
        format!("{err:?}"),
        err.to_string(),
        serde_json::to_string(&err.attempts).unwrap(),
    ];
    for t in &texts {
        assert!(!t.contains(KEY), "key leaked: {t}");
        assert!(!t.contains("0123456789abcdef"), "key leaked: {t}");
    }
    assert!(
        done.attempts[0]
            .message
            .as_deref()
            .unwrap()
            .contains("<redacted>")
    );
    assert!(
        err.to_string()
            .contains("Incorrect API key provided: <redacted>")
    );
}

#[tokio::test]
async fn a_key_quoted_in_a_good_reply_is_redacted_streamed_or_not() {
    const KEY: &str = "sk-QUOTED-9876543210fedcba";
    let quoted = format!("Your key was Bearer {KEY} {{\"choice\":\"A\"}}");
    let body = json!({
        "model": format!("proxy-{KEY}"),
        "choices": [{"message": {"role": "assistant", "content": quoted,
                                 "reasoning_content": format!("saw {KEY}")},
                     "finish_reason": "stop"}],
    });
    // The key split across stream pieces, inside and between them.
    let pieces = [
        "Your key was Bearer sk-QUO",
        "TED-98765",
        "43210fedcba {\"choice\":\"A\"}",
    ];
    let sse = Reply::sse_text(&pieces);
    let server = LoopbackServer::start(move |r: &Recorded| {
        if r.json().is_some_and(|v| v["stream"] == json!(true)) {
            Reply::raw(200, "text/event-stream", sse.clone())
        } else {
            Reply::json(200, &body)
        }
    })
    .await
    .unwrap();
    let key = ApiKey::new(KEY).unwrap();
    let c = LlmClient::with_api_key(config(&server), Some(key)).unwrap();
    let plain = c.complete(&hello()).await.unwrap();
    assert_eq!(
        plain.text,
        "Your key was Bearer <redacted> {\"choice\":\"A\"}"
    );
    assert_eq!(plain.reasoning.as_deref(), Some("saw <redacted>"));
    assert_eq!(plain.model.as_deref(), Some("proxy-<redacted>"));
    let mut shown = Vec::new();
    let streamed = c
        .complete_streaming(&hello(), &mut |ev| {
            if let StreamEvent::Delta { text, .. } = ev {
                shown.push(text.to_owned());
            }
        })
        .await
        .unwrap();
    assert_eq!(streamed.text, plain.text);
    assert_eq!(shown.concat(), plain.text);
    for t in shown
        .iter()
        .chain([&streamed.text, &serde_json::to_string(&plain).unwrap()])
    {
        assert!(!t.contains("9876543210"), "key leaked: {t}");
    }
}

#[tokio::test]
async fn ask_choice_sends_one_correction() {
    let server = LoopbackServer::start(|r: &Recorded| match r.index {
        0 | 2 => Reply::completion("Hmm, hard to say."),
        _ => Reply::completion(r#"{"choice": "C", "reason": "fair"}"#),
    })
    .await
    .unwrap();
    let c = client(config(&server));
    let texts = ["one", "two", "three"];
    let answer = ask_choice(&c, hello(), Choices::with_texts(&texts), Some(Language::En)).await;
    assert!(answer.corrected());
    assert_eq!(answer.choice().map(|p| p.letter), Some('C'));
    let second = server.requests()[1].json().unwrap();
    let msgs = second["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4);
    assert_eq!(
        msgs[2],
        json!({"role": "assistant", "content": "Hmm, hard to say."})
    );
    assert!(msgs[3]["content"].as_str().unwrap().contains("A, B, C"));

    // The official protocol: no second chance, a typed failure.
    let answer = ask_choice(&c, hello(), Choices::with_texts(&texts), None).await;
    assert!(!answer.corrected());
    assert_eq!(answer.choice(), None);
    assert_eq!(answer.parse_failure().map(|f| f.code()), Some("no_choice"));
    assert_eq!(server.request_count(), 3);
}
