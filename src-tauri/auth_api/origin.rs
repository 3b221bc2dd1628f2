//! Cookie mode's CSRF defence: a write that authenticates by cookie (or asks for
//! cookies) must come from one of the product's registered origins, the
//! `scheme://host[:port]` of its web client's redirect URIs. A missing `Origin` is refused
//! too; bearer mode needs no such check (a cross-site page cannot set `Authorization`).

use super::{refuse, Answer};
use crate::state::AppState;
use crate::store::clients::{self, Client};
use axum::http::{header, HeaderMap, StatusCode};
use tessera_proto::auth::Mode;

/// The origins of `client`'s redirect URIs (`http`/`https` ones; custom schemes have no
/// web origin).
pub async fn registered(s: &AppState, client: &Client) -> Answer<Vec<String>> {
    let uris = clients::redirect_uris(&s.db.read, &client.client_id, "login").await?;
    Ok(uris.iter().filter_map(|u| origin_of(u)).collect())
}

/// `scheme://host[:port]` of an http(s) URL (default ports left out, as browsers send it).
fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

/// Refuses with 403 `origin_not_allowed` unless the request's one `Origin` header is a
/// registered origin of `client`.
pub async fn check(s: &AppState, client: &Client, headers: &HeaderMap) -> Answer<()> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    let origin = match (all.next(), all.next()) {
        (Some(v), None) => v.to_str().ok().map(str::trim).unwrap_or(""),
        _ => "",
    };
    if !origin.is_empty() && registered(s, client).await?.iter().any(|o| o == origin) {
        return Ok(());
    }
    Err(refuse(
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
        "cookie mode: the Origin header must be one of the product's registered origins",
    ))
}

/// The mode a body asked for (default bearer); cookie mode passes [`check`] first.
pub async fn mode(
    s: &AppState,
    client: &Client,
    headers: &HeaderMap,
    asked: Option<Mode>,
) -> Answer<Mode> {
    let mode = asked.unwrap_or_default();
    if mode == Mode::Cookie {
        check(s, client, headers).await?;
    }
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_are_scheme_host_and_explicit_port() {
        assert_eq!(
            origin_of("https://app.example/cb?x=1").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/cb").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("https://App.Example:443/cb").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(origin_of("com.example.app:/callback"), None);
    }
}
