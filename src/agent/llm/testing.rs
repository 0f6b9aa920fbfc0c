//! A small scripted HTTP/1.1 server on 127.0.0.1 for tests and benchmarks of anything that
//! talks to an OpenAI-compatible endpoint. It records every request, counts requests in
//! flight, and answers as a handler says: JSON, raw bytes, SSE chunks written separately,
//! after a delay, never (hang until the client gives up), or by closing the connection.
//!
//! It is a real server over TCP, not a mock of the client. Only loopback is ever bound.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// 0-based arrival order.
    pub index: usize,
    pub method: String,
    pub path: String,
    /// Header names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request was complete.
    pub at: Instant,
}

impl Recorded {
    /// The first header of that name (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    #[must_use]
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response with `Content-Length`.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A chunked response, each chunk written and flushed separately, `pause` between them.
    Chunks {
        status: u16,
        headers: Vec<(String, String)>,
        chunks: Vec<Vec<u8>>,
        pause: Duration,
    },
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
    /// Never answer; the connection stays open until the client closes it.
    Hang,
    /// Close the connection without answering.
    Close,
}

impl Reply {
    /// A JSON response.
    #[must_use]
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::Full {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    /// An OpenAI-shaped chat completion answering `text`.
    #[must_use]
    pub fn completion(text: &str) -> Self {
        Self::json(
            200,
            &serde_json::json!({
                "id": "chatcmpl-loopback",
                "object": "chat.completion",
                "model": "loopback",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop"
                }],
                "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
            }),
        )
    }

    /// A response with a raw body.
    #[must_use]
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self::Full {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// Add a header to a `Full` or `Chunks` reply.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Self::Full { headers, .. } | Self::Chunks { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// An SSE stream of these raw byte chunks (split them wherever the test likes).
    #[must_use]
    pub fn sse_chunks(chunks: Vec<Vec<u8>>, pause: Duration) -> Self {
        Self::Chunks {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            chunks,
            pause,
        }
    }

    /// The SSE text of a streamed completion delivering `pieces` as deltas, then `[DONE]`.
    #[must_use]
    pub fn sse_text(pieces: &[&str]) -> String {
        let mut out = String::new();
        for p in pieces {
            let chunk = serde_json::json!({
                "object": "chat.completion.chunk",
                "model": "loopback",
                "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": null}]
            });
            out.push_str(&format!("data: {chunk}\n\n"));
        }
        let last = serde_json::json!({
            "object": "chat.completion.chunk",
            "model": "loopback",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]
        });
        out.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
        out
    }
}

/// Decides the reply to each request.
pub type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    connections: AtomicUsize,
}

/// Decrements the in-flight count when a request is done (or its task is dropped).
struct InFlight<'s>(&'s State);

impl<'s> InFlight<'s> {
    fn enter(state: &'s State) -> Self {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The server; it stops (and drops every connection) when dropped.
pub struct LoopbackServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for LoopbackServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LoopbackServer {
    /// Bind 127.0.0.1 on a free port and serve with `handler`. Needs a tokio runtime.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::default());
        let handler: Handler = Arc::new(handler);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), handler));
        Ok(Self { addr, state, task })
    }

    /// A server answering every request with the same completion text.
    ///
    /// # Errors
    /// As [`LoopbackServer::start`].
    pub async fn answering(text: &str) -> std::io::Result<Self> {
        let reply = Reply::completion(text);
        Self::start(move |_| reply.clone()).await
    }

    #[must_use]
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`, a base URL for the client.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request so far.
    #[must_use]
    pub fn requests(&self) -> Vec<Recorded> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    #[must_use]
    pub fn request_count(&self) -> usize {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Requests being answered right now.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.state.in_flight.load(Ordering::SeqCst)
    }

    /// The most requests ever in flight at once.
    #[must_use]
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// TCP connections accepted so far.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, handler: Handler) {
    // Connection tasks live in the set, so aborting this task aborts them all.
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                state.connections.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_nodelay(true);
                tasks.spawn(serve(stream, Arc::clone(&state), Arc::clone(&handler)));
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

/// Serve requests on one connection until it closes.
async fn serve(mut stream: TcpStream, state: Arc<State>, handler: Handler) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    loop {
        let Some(request) = read_request(&mut stream, &mut buf, &state).await else {
            return;
        };
        let _guard = InFlight::enter(&state);
        let reply = handler(&request);
        if !respond(&mut stream, reply).await {
            return;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    state: &State,
) -> Option<Recorded> {
    const LIMIT: usize = 16 << 20;
    let head_end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n") {
            break p;
        }
        if buf.len() > LIMIT || read_more(stream, buf).await == 0 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let total = head_end + 4 + length;
    if total > LIMIT {
        return None;
    }
    while buf.len() < total {
        if read_more(stream, buf).await == 0 {
            return None;
        }
    }
    let body = buf[head_end + 4..total].to_vec();
    buf.drain(..total);
    let mut requests = state
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let recorded = Recorded {
        index: requests.len(),
        method,
        path,
        headers,
        body,
        at: Instant::now(),
    };
    requests.push(recorded.clone());
    Some(recorded)
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> usize {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            n
        }
        Err(_) => 0,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn head(status: u16, headers: &[(String, String)], framing: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str(framing);
    out.push_str("\r\n");
    out.into_bytes()
}

/// Write a reply; `false` when the connection is done.
async fn respond(stream: &mut TcpStream, reply: Reply) -> bool {
    let mut reply = reply;
    loop {
        match reply {
            Reply::Delay(d, inner) => {
                tokio::time::sleep(d).await;
                reply = *inner;
            }
            Reply::Hang => {
                // Wait for the client to close (or send anything); never answer.
                let mut byte = [0u8; 1];
                let _ = stream.read(&mut byte).await;
                return false;
            }
            Reply::Close => return false,
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let mut out = head(
                    status,
                    &headers,
                    &format!("content-length: {}\r\n", body.len()),
                );
                out.extend_from_slice(&body);
                return stream.write_all(&out).await.is_ok() && stream.flush().await.is_ok();
            }
            Reply::Chunks {
                status,
                headers,
                chunks,
                pause,
            } => {
                let h = head(status, &headers, "transfer-encoding: chunked\r\n");
                if stream.write_all(&h).await.is_err() {
                    return false;
                }
                for (i, c) in chunks.iter().enumerate() {
                    if i > 0 && !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                    if c.is_empty() {
                        continue;
                    }
                    let mut out = format!("{:x}\r\n", c.len()).into_bytes();
                    out.extend_from_slice(c);
                    out.extend_from_slice(b"\r\n");
                    if stream.write_all(&out).await.is_err() || stream.flush().await.is_err() {
                        return false;
                    }
                }
                return stream.write_all(b"0\r\n\r\n").await.is_ok();
            }
        }
    }
}
