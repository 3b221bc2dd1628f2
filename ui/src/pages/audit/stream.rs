//! The live feed: `GET /v1/audit-events/stream` read with `fetch` (an `EventSource`
//! cannot send the bearer token), its `text/event-stream` body parsed here, resumed with
//! `Last-Event-ID` after a drop, with backoff. A stream runs until [`stop`] aborts it
//! (the page calls it from `on_cleanup`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::model::AuditEvent;
use crate::api::{self, ApiError};

/// What the page shows about the connection.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveState {
    Connecting,
    Live,
    /// Dropped; the next attempt starts in `secs` seconds.
    Retrying {
        secs: u32,
        reason: String,
    },
    /// Given up (the filters were refused, or the page stopped it).
    Stopped(String),
}

/// One `text/event-stream` message.
#[derive(Clone, Debug, PartialEq)]
pub struct SseMessage {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// Incremental `text/event-stream` parser (WHATWG HTML §9.2.6): bytes in, complete
/// messages out. Lines end in LF or CRLF; `:` lines are comments (keep-alives).
#[derive(Default)]
pub struct SseParser {
    pending: Vec<u8>,
    data: Vec<String>,
    event: String,
    id: Option<String>,
}

impl SseParser {
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseMessage> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let mut line: Vec<u8> = self.pending.drain(..=pos).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some(msg) = self.line(&line) {
                out.push(msg);
            }
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<SseMessage> {
        if line.is_empty() {
            // Blank line: dispatch.
            let event = std::mem::take(&mut self.event);
            let data = std::mem::take(&mut self.data);
            if data.is_empty() {
                return None;
            }
            return Some(SseMessage {
                id: self.id.clone(),
                event: if event.is_empty() {
                    "message".to_owned()
                } else {
                    event
                },
                data: data.join("\n"),
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => self.data.push(value.to_owned()),
            "event" => self.event = value.to_owned(),
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

thread_local! {
    static RUNNING: RefCell<HashMap<u64, web_sys::AbortController>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

fn alive(handle: u64) -> bool {
    RUNNING.with(|r| r.borrow().contains_key(&handle))
}

fn new_controller(handle: u64) -> Option<web_sys::AbortController> {
    let controller = web_sys::AbortController::new().ok()?;
    RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        // Stopped meanwhile: do not resurrect it.
        if let Some(slot) = r.get_mut(&handle) {
            *slot = controller.clone();
            Some(controller)
        } else {
            None
        }
    })
}

/// Aborts the stream `handle` (its fetch included) and ends its loop. Idempotent.
pub fn stop(handle: u64) {
    if let Some(controller) = RUNNING.with(|r| r.borrow_mut().remove(&handle)) {
        controller.abort();
    }
}

/// Why one connection ended.
enum Ended {
    /// The server closed it (token expiry, shutdown): reconnect soon.
    Closed,
    /// Network trouble or a 5xx: reconnect with backoff.
    Failed(String),
    /// The request itself is wrong (e.g. a refused filter): do not retry.
    Refused(String),
}

/// Starts following the stream with `query` (the filters, leading `&`), resuming after
/// event id `after` when given. Returns the handle for [`stop`].
pub fn start(
    query: String,
    after: Option<String>,
    on_event: impl Fn(AuditEvent) + 'static,
    on_state: impl Fn(LiveState) + 'static,
) -> u64 {
    let handle = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    let Ok(first) = web_sys::AbortController::new() else {
        on_state(LiveState::Stopped(
            "This browser cannot follow the live feed".into(),
        ));
        return handle;
    };
    RUNNING.with(|r| r.borrow_mut().insert(handle, first));
    leptos::task::spawn_local(async move {
        let mut last_id = after;
        let mut failures: u32 = 0;
        loop {
            let Some(controller) = new_controller(handle) else {
                return;
            };
            on_state(LiveState::Connecting);
            let mut got_any = false;
            let ended = follow(
                &query,
                last_id.clone(),
                &controller.signal(),
                &mut |msg: SseMessage| {
                    if let Some(id) = &msg.id {
                        last_id = Some(id.clone());
                    }
                    if msg.event != "audit" && msg.event != "message" {
                        return;
                    }
                    if let Ok(event) = serde_json::from_str::<AuditEvent>(&msg.data) {
                        got_any = true;
                        on_event(event);
                    }
                },
                &|| on_state(LiveState::Live),
            )
            .await;
            if !alive(handle) {
                return;
            }
            let (delay, reason) = match ended {
                Ended::Refused(message) => {
                    RUNNING.with(|r| r.borrow_mut().remove(&handle));
                    on_state(LiveState::Stopped(message));
                    return;
                }
                Ended::Closed => {
                    failures = 0;
                    (1, "the server closed the connection".to_owned())
                }
                Ended::Failed(reason) => {
                    if got_any {
                        failures = 0;
                    }
                    failures = (failures + 1).min(5);
                    // 2, 4, 8, 16, 30 s.
                    ((1u32 << failures).min(30), reason)
                }
            };
            on_state(LiveState::Retrying {
                secs: delay,
                reason,
            });
            sleep_ms(delay * 1000).await;
            if !alive(handle) {
                return;
            }
        }
    });
    handle
}

/// One connection: reads messages until the stream ends or fails.
async fn follow(
    query: &str,
    last_id: Option<String>,
    signal: &web_sys::AbortSignal,
    on_message: &mut dyn FnMut(SseMessage),
    on_open: &dyn Fn(),
) -> Ended {
    let response = match open(query, last_id.as_deref(), signal).await {
        Ok(r) => r,
        Err(e) if e.status == 0 || e.status >= 500 || e.status == 401 || e.status == 429 => {
            return Ended::Failed(e.message)
        }
        Err(e) => return Ended::Refused(e.message),
    };
    on_open();
    let Some(body) = response.body() else {
        return Ended::Failed("the server sent no stream".into());
    };
    let reader = match web_sys::ReadableStreamDefaultReader::new(&body) {
        Ok(r) => r,
        Err(e) => return Ended::Failed(api::js_error_text(&e)),
    };
    let mut parser = SseParser::default();
    loop {
        let chunk = match JsFuture::from(reader.read()).await {
            Ok(c) => c,
            Err(e) => return Ended::Failed(api::js_error_text(&e)),
        };
        let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ended::Closed;
        }
        let Ok(value) = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")) else {
            continue;
        };
        let Ok(bytes) = value.dyn_into::<js_sys::Uint8Array>() else {
            continue;
        };
        for msg in parser.feed(&bytes.to_vec()) {
            on_message(msg);
        }
    }
}

/// `GET /v1/audit-events/stream?...` with the bearer token; a non-2xx answer becomes an
/// [`ApiError`] carrying the server's message.
async fn open(
    query: &str,
    last_id: Option<&str>,
    signal: &web_sys::AbortSignal,
) -> Result<web_sys::Response, ApiError> {
    let token = api::access_token().await?;
    let window = web_sys::window().ok_or_else(|| ApiError::new(0, "client", "no window"))?;
    let headers = web_sys::Headers::new().map_err(|e| ApiError::network(&e))?;
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| ApiError::network(&e));
    set("Authorization", &format!("Bearer {token}"))?;
    set("Accept", "text/event-stream")?;
    if let Some(id) = last_id {
        set("Last-Event-ID", id)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_cache(web_sys::RequestCache::NoStore);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    init.set_headers(&headers);
    init.set_signal(Some(signal));
    let q = query.strip_prefix('&').unwrap_or(query);
    let url = if q.is_empty() {
        "/v1/audit-events/stream".to_owned()
    } else {
        format!("/v1/audit-events/stream?{q}")
    };
    let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|e| ApiError::network(&e))?;
    let response: web_sys::Response = response.dyn_into().map_err(|e| ApiError::network(&e))?;
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let text = api::response_text(&response).await.unwrap_or_default();
    Err(api::error_from(status, &text))
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                ms.min(i32::MAX as u32) as i32,
            );
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// One event by id. Tries `GET /v1/audit-events/{id}`; the API has no such endpoint yet,
/// so it then resumes the stream right before `id` and takes its first event (the
/// stream replays every event after the given id in order), giving up after 5 s.
pub async fn fetch_one(id: &str) -> Result<AuditEvent, String> {
    let num: i64 = id
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("“{id}” is not an audit event id"))?;
    match api::get::<AuditEvent>(&format!("/v1/audit-events/{num}")).await {
        Ok(event) if event.id == num.to_string() => return Ok(event),
        Err(e) if e.status == 401 || e.status == 403 => return Err(e.message),
        _ => {}
    }
    let controller = web_sys::AbortController::new().map_err(|e| api::js_error_text(&e))?;
    let timer = {
        let c = controller.clone();
        leptos::prelude::set_timeout_with_handle(
            move || c.abort(),
            std::time::Duration::from_secs(5),
        )
        .ok()
    };
    let mut found: Option<AuditEvent> = None;
    let mut first_id: Option<String> = None;
    let signal = controller.signal();
    {
        let ctl = controller.clone();
        let _ = follow(
            "",
            Some((num - 1).to_string()),
            &signal,
            &mut |msg: SseMessage| {
                if first_id.is_some() {
                    return;
                }
                first_id = msg.id.clone();
                if let Ok(event) = serde_json::from_str::<AuditEvent>(&msg.data) {
                    if event.id == num.to_string() {
                        found = Some(event);
                    }
                }
                ctl.abort();
            },
            &|| {},
        )
        .await;
    }
    if let Some(t) = timer {
        t.clear();
    }
    controller.abort();
    found.ok_or_else(|| {
        format!(
            "Audit event {num} was not found (it may have been pruned by the retention setting)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_chunks_and_comments() {
        let mut p = SseParser::default();
        assert!(p.feed(b": keep-alive\n\nid: 7\nevent: au").is_empty());
        let out = p.feed(b"dit\r\ndata: {\"a\":1}\n\n");
        assert_eq!(
            out,
            vec![SseMessage {
                id: Some("7".into()),
                event: "audit".into(),
                data: "{\"a\":1}".into()
            }]
        );
    }
}
