//! `Idempotency-Key` on /v1 writes (Stripe-like): the first answer (< 500) to an admin's key
//! is stored with a SHA-256 fingerprint of the request and replayed byte for byte to a retry.
//! Answers carrying a `client_secret`, or marked [`ShowsSecret`] (a backup, a new
//! registration token), are not stored: a replay of those gets 409.

use super::Admin;
use crate::error::ApiError;
use crate::state::Shared;
use crate::store::idempotency::{self as store, Claim, Stored};
use aws_lc_rs::digest;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

const KEY_HEADER: &str = "idempotency-key";

/// A response extension: this answer shows a secret, so its body is never stored.
#[derive(Clone, Copy, Debug)]
pub struct ShowsSecret;
const REPLAYED_HEADER: &str = "idempotent-replayed";

/// The middleware; layered on the /v1 router with `from_fn_with_state`.
pub async fn middleware(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let is_write = matches!(
        *req.method(),
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    if !is_write || !req.headers().contains_key(KEY_HEADER) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    // Not an admin: the handler's own extractor answers 401/403; nothing is stored.
    let Ok(admin) = Admin::from_request_parts(&mut parts, &state).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let Some(key) = the_key(&parts.headers) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key must be one header of 1-255 visible ASCII characters",
        )
        .into_response();
    };
    let bytes = match read_body(&parts, body, &state).await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let fp = fingerprint(parts.method.as_str(), path, &bytes);
    let subject = admin.claims.sub;
    if let Err(answer) = claim(&state, &subject, &key, &fp).await {
        return answer;
    }
    let guard = Claimed {
        state: state.clone(),
        subject,
        key,
        armed: true,
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    keep(guard, resp).await
}

/// The request body (the fingerprint covers it), with the errors `ApiJson` would give.
async fn read_body(
    parts: &axum::http::request::Parts,
    body: Body,
    state: &Shared,
) -> Result<Bytes, Response> {
    match Bytes::from_request(Request::from_parts(parts.clone(), body), state).await {
        Ok(b) => Ok(b),
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than 64 KiB",
        )
        .into_response()),
        Err(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "the request body could not be read",
        )
        .into_response()),
    }
}

/// Claims the key for this request; `Err` is the answer instead of running the handler
/// (a replay, or a refusal).
async fn claim(state: &Shared, subject: &str, key: &str, fp: &[u8]) -> Result<(), Response> {
    let now = crate::store::now();
    match store::claim(&state.db, subject, key, fp, now).await {
        Ok(Claim::Fresh) => Ok(()),
        Ok(Claim::Replay(stored)) => Err(replay(stored)),
        Ok(Claim::Mismatch) => Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with another method, path or body",
        )),
        Ok(Claim::InProgress) => Err(refuse(
            StatusCode::CONFLICT,
            "idempotency_key_in_progress",
            "a request with this Idempotency-Key is still in progress; retry later",
        )),
        Ok(Claim::SecretShown) => Err(refuse(
            StatusCode::CONFLICT,
            "idempotency_key_secret_shown",
            "the request with this Idempotency-Key succeeded and showed a secret once (a client \
             secret, a registration token or a backup); it is not stored: read the resource \
             with GET (rotate the secret or make a new token if it was lost) or make a new \
             backup",
        )),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// Stores the handler's answer for replays (without its body when it shows a secret) and
/// returns it; a 5xx frees the key instead.
async fn keep(mut guard: Claimed, resp: Response) -> Response {
    if resp.status().is_server_error() {
        guard.release().await;
        return resp;
    }
    let (mut rparts, rbody) = resp.into_parts();
    let Ok(body) = axum::body::to_bytes(rbody, usize::MAX).await else {
        return ApiError::internal().into_response();
    };
    let content_type = rparts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let shown = rparts.extensions.get::<ShowsSecret>().is_some() || shows_secret(&body);
    let kept = (!shown).then_some(&body[..]);
    let status = rparts.status.as_u16();
    match store::finish(
        &guard.state.db,
        &guard.subject,
        &guard.key,
        status,
        content_type,
        kept,
    )
    .await
    {
        Ok(()) => guard.armed = false,
        Err(e) => tracing::error!(error = %e, "could not store an idempotent response"),
    }
    rparts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(rparts, Body::from(body))
}

/// The single `Idempotency-Key` header, when it is 1-255 visible ASCII characters.
fn the_key(headers: &axum::http::HeaderMap) -> Option<String> {
    let mut all = headers.get_all(KEY_HEADER).iter();
    let (Some(value), None) = (all.next(), all.next()) else {
        return None;
    };
    let raw = value.as_bytes();
    let visible = raw.iter().all(|b| (0x21..=0x7e).contains(b));
    (visible && (1..=255).contains(&raw.len())).then(|| String::from_utf8_lossy(raw).into_owned())
}

/// SHA-256 over method, path and query, and body, each length-prefixed.
fn fingerprint(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in [method.as_bytes(), path.as_bytes(), body] {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    ctx.finish().as_ref().to_vec()
}

/// True when a JSON body holds a non-null `client_secret` anywhere.
fn shows_secret(body: &[u8]) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::Object(m) => m
                .iter()
                .any(|(k, v)| (k == "client_secret" && !v.is_null()) || walk(v)),
            Value::Array(a) => a.iter().any(walk),
            _ => false,
        }
    }
    serde_json::from_slice::<Value>(body).is_ok_and(|v| walk(&v))
}

fn replay(stored: Stored) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, Body::from(stored.body)).into_response();
    let headers = resp.headers_mut();
    if let Some(ct) = stored
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    resp
}

fn refuse(status: StatusCode, code: &'static str, message: &str) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// A claimed key; dropped while armed (5xx, panic, client gone) it frees the key.
struct Claimed {
    state: Shared,
    subject: String,
    key: String,
    armed: bool,
}

impl Claimed {
    async fn release(mut self) {
        self.armed = false;
        if let Err(e) = store::release(&self.state.db, &self.subject, &self.key).await {
            tracing::error!(error = %e, "could not release an idempotency key");
        }
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (state, subject, key) = (
            self.state.clone(),
            std::mem::take(&mut self.subject),
            std::mem::take(&mut self.key),
        );
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store::release(&state.db, &subject, &key).await {
                    tracing::error!(error = %e, "could not release an idempotency key");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn key_of(values: &[&[u8]]) -> Option<String> {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                KEY_HEADER,
                HeaderValue::from_bytes(v).expect("header value"),
            );
        }
        the_key(&h)
    }

    #[test]
    fn keys_are_one_header_of_visible_ascii() {
        assert_eq!(key_of(&[b"abc-123_~!"]).as_deref(), Some("abc-123_~!"));
        assert!(key_of(&[&[b'k'; 255]]).is_some());
        for bad in [&b""[..], b"a b", b"tab\t", "é".as_bytes(), &[b'k'; 256]] {
            assert_eq!(key_of(&[bad]), None, "{bad:?}");
        }
        assert_eq!(key_of(&[b"one", b"two"]), None);
    }

    #[test]
    fn fingerprints_separate_method_path_and_body() {
        let a = fingerprint("POST", "/users", b"{}");
        assert_eq!(a, fingerprint("POST", "/users", b"{}"));
        assert_ne!(a, fingerprint("PATCH", "/users", b"{}"));
        assert_ne!(a, fingerprint("POST", "/users?x=1", b"{}"));
        assert_ne!(
            fingerprint("POST", "/a", b"b"),
            fingerprint("POST", "/ab", b"")
        );
    }

    #[test]
    fn secrets_are_found_anywhere_but_not_in_values() {
        assert!(shows_secret(br#"{"server_client":{"client_secret":"s"}}"#));
        assert!(shows_secret(br#"[{"client_secret":"s"}]"#));
        assert!(!shows_secret(
            br#"{"server_client":{"client_secret":null}}"#
        ));
        assert!(!shows_secret(br#"{"method":"client_secret_basic"}"#));
        assert!(!shows_secret(b"not json client_secret"));
    }
}
