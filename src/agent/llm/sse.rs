//! A small Server-Sent Events decoder: bytes in, in whatever chunks the network delivers, events
//! out.
//!
//! Lines are decoded as UTF-8 only once complete, so a chunk boundary inside a multi-byte
//! character (common with Chinese text) never breaks a character. Line ends may be `\n`, `\r\n`
//! or `\r`, also when a `\r\n` pair is split across chunks. Comments (`:` lines), `id` and
//! `retry` fields are ignored; `data` lines of one event are joined with `\n`.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, when the server named the event.
    pub event: Option<String>,
    pub data: String,
}

/// Incremental decoder state.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of the current, incomplete line.
    line: Vec<u8>,
    data: String,
    has_data: bool,
    event: Option<String>,
    /// The last byte seen was `\r`: a `\n` right after it belongs to the same line end.
    after_cr: bool,
    /// Whether the first line has been seen (a leading byte-order mark is dropped).
    started: bool,
}

impl SseDecoder {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed a chunk; complete events are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) {
        let mut start = 0;
        for (i, &b) in chunk.iter().enumerate() {
            match b {
                b'\n' if self.after_cr => {
                    self.after_cr = false;
                    start = i + 1;
                }
                b'\n' | b'\r' => {
                    self.line.extend_from_slice(&chunk[start..i]);
                    self.end_line(out);
                    self.after_cr = b == b'\r';
                    start = i + 1;
                }
                _ => self.after_cr = false,
            }
        }
        self.line.extend_from_slice(&chunk[start..]);
    }

    /// End of the stream: a last line without a line end is processed, and a pending event with
    /// data is dispatched (lenient: the standard would drop it).
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.line.is_empty() {
            self.end_line(out);
        }
        self.dispatch(out);
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let bytes = std::mem::take(&mut self.line);
        let mut line = String::from_utf8_lossy(&bytes);
        if !self.started {
            self.started = true;
            if let Some(rest) = line.strip_prefix('\u{FEFF}') {
                line = rest.to_owned().into();
            }
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_data {
            out.push(SseEvent {
                event: self.event.take(),
                data: std::mem::take(&mut self.data),
            });
        }
        self.has_data = false;
        self.event = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(input: &[u8], size: usize) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for piece in input.chunks(size) {
            d.push(piece, &mut out);
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn any_chunking_gives_the_same_events() {
        let input = "\u{FEFF}: hello\r\nevent: delta\r\ndata: 你好，\r\ndata: 世界\r\n\r\n\
                     data: {\"x\":1}\n\ndata:[DONE]\r\r"
            .as_bytes();
        let whole = decode_in_pieces(input, input.len());
        assert_eq!(
            whole,
            vec![
                SseEvent {
                    event: Some("delta".into()),
                    data: "你好，\n世界".into()
                },
                SseEvent {
                    event: None,
                    data: "{\"x\":1}".into()
                },
                SseEvent {
                    event: None,
                    data: "[DONE]".into()
                },
            ]
        );
        for size in 1..input.len() {
            assert_eq!(decode_in_pieces(input, size), whole, "chunk size {size}");
        }
    }

    #[test]
    fn unterminated_last_event_is_kept() {
        assert_eq!(decode_in_pieces(b"data: x", 3).len(), 1);
        assert!(decode_in_pieces(b"event: x\n\n", 2).is_empty());
    }
}
