//! Cookie mode's CSRF defence: a write that authenticates by cookie (or asks for
//! cookies) must come from one of the product's origins: its web client's
//! `allowed_origins`, else the `scheme://host[:port]` of its redirect URIs. A missing `Origin` is refused
//! too; bearer mode needs no such check (a cross-site page cannot set `Authorization`).

use super::{refuse, Answer};
use crate::domain::redirect::origin_of;
use crate::state::AppState;
use crate::store::clients::{self, Client};
use axum::http::{header, HeaderMap, StatusCode};
use tessera_proto::auth::Mode;

/// The origins of `client`'s redirect URIs (`http`/`https` ones; custom schemes have no
/// web origin), in the order they were registered.
pub async fn registered(s: &AppState, client: &Client) -> Answer<Vec<String>> {
    let uris = clients::redirect_uris(&s.db.read, &client.client_id, "login").await?;
    Ok(uris.iter().filter_map(|u| origin_of(u)).collect())
}

/// Whether `client` allows `origin`: its `allowed_origins`, else the origins of its
/// redirect URIs (`http`/`https` ones; custom schemes have no web origin).
pub async fn allowed(s: &AppState, client: &Client, origin: &str) -> Answer<bool> {
    let origins = s.clients.origins(&s.db.read).await?;
    Ok(origins.client_allows(&client.client_id, origin))
}

/// Refuses with 403 `origin_not_allowed` unless the request's one `Origin` header is a
/// registered origin of `client`.
pub async fn check(s: &AppState, client: &Client, headers: &HeaderMap) -> Answer<()> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    let origin = match (all.next(), all.next()) {
        (Some(v), None) => v.to_str().ok().map(str::trim).unwrap_or(""),
        _ => "",
    };
    if !origin.is_empty() && allowed(s, client, origin).await? {
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
