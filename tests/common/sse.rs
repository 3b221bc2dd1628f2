//! A minimal server-sent-events reader over a reqwest response, with deadlines.
use serde_json::Value;
use std::time::{Duration, Instant};

/// One `event:` block of the stream.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Value,
}

pub struct SseReader {
    resp: reqwest::Response,
    buf: String,
}

/// How a read ended without an event.
#[derive(Debug, PartialEq, Eq)]
pub enum SseEnd {
    /// The server ended the body cleanly.
    Closed,
    /// The connection broke mid-body.
    Broken(String),
    TimedOut,
}

impl SseReader {
    pub fn new(resp: reqwest::Response) -> SseReader {
        SseReader {
            resp,
            buf: String::new(),
        }
    }

    fn take_block(&mut self) -> Option<String> {
        let normalized = self.buf.replace("\r\n", "\n");
        self.buf = normalized;
        let end = self.buf.find("\n\n")?;
        let block = self.buf[..end].to_string();
        self.buf.drain(..end + 2);
        Some(block)
    }

    /// The next event (comments such as keep-alives are skipped) within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Result<SseEvent, SseEnd> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(block) = self.take_block() {
                let (mut id, mut event, mut data) = (None, None, Vec::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim_start().to_string());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = Some(v.trim_start().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                    }
                }
                if data.is_empty() && event.is_none() {
                    continue;
                }
                let data = data.join("\n");
                let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                return Ok(SseEvent { id, event, data });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(SseEnd::TimedOut);
            }
            match tokio::time::timeout(left, self.resp.chunk()).await {
                Err(_) => return Err(SseEnd::TimedOut),
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) => return Err(SseEnd::Closed),
                Ok(Err(e)) => return Err(SseEnd::Broken(e.to_string())),
            }
        }
    }

    /// Skips events until one satisfies `want`; panics at the deadline.
    pub async fn until(&mut self, wait: Duration, want: impl Fn(&SseEvent) -> bool) -> SseEvent {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Ok(ev) if want(&ev) => return ev,
                Ok(_) => {}
                Err(end) => panic!("no matching event: {end:?}"),
            }
        }
    }
}
