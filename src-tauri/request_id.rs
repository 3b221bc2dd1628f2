//! `x-request-id` on every response, and in every log line of its request (the `request`
//! span carries it): the caller's id when it is a plain one (set by a proxy or load
//! balancer in front), else a new UUID v4. A caller's id goes into logs, so it is kept
//! only when short and made of safe characters; anything else is replaced, never echoed.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// Longest caller id kept (a UUID is 36, a W3C trace id 32).
const MAX_LEN: usize = 128;

/// Whether a caller's id may be used as it is.
fn acceptable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes.iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'=')
        })
}

fn fresh() -> HeaderValue {
    HeaderValue::try_from(uuid::Uuid::new_v4().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// The request's id, for spans and handlers (set by [`middleware`]).
pub fn of<B>(request: &axum::http::Request<B>) -> &str {
    request
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Gives the request its id (the caller's, or a new one) and puts it on the response.
pub async fn middleware(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&HEADER)
        .filter(|v| acceptable(v))
        .cloned()
        .unwrap_or_else(fresh);
    request.headers_mut().insert(HEADER, id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(HEADER, id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_are_kept_and_anything_else_is_replaced() {
        for kept in [
            "abc-123",
            "0af7651916cd43dd8448eb211c80319c",
            "req_1.2:3/4+5=",
        ] {
            assert!(acceptable(&HeaderValue::from_static(kept)), "{kept}");
        }
        let long = "a".repeat(MAX_LEN + 1);
        for refused in ["", "has space", "quote\"d", "semi;colon", long.as_str()] {
            let value = HeaderValue::from_str(refused).expect("header value");
            assert!(!acceptable(&value), "{refused:?}");
        }
        assert_eq!(fresh().len(), 36);
    }
}
