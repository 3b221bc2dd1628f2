//! The user's passkeys on the account page: add one (a WebAuthn registration through
//! `assets/passkey.js`, JSON answers), rename or remove one (plain forms). Adding and
//! removing need a fresh sign-in; renaming does not.

use super::{posted, view, Account, Change, Post};
use crate::audit::kind;
use crate::domain::RequestMeta;
use crate::error::{OAuthError, StoreError};
use crate::oauth::authorize::see_other;
use crate::oauth::params::{Form, Params};
use crate::state::Shared;
use crate::store::passkeys::{delete_passkey, rename_passkey};
use crate::webauthn::{self, clean_name, Failure, MAX_PASSKEYS};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use webauthn_rs::prelude::RegisterPublicKeyCredential;

/// The name of a passkey added without one.
const DEFAULT_NAME: &str = "Passkey";

fn answer(status: StatusCode, error: &str, message: &str) -> Response {
    (status, Json(json!({"error": error, "message": message}))).into_response()
}

/// [`posted`] for the script: a redirect (no token, stale sign-in) becomes `{"reauth"}`,
/// which the script follows.
async fn posted_json(
    s: &Shared,
    headers: &HeaderMap,
    form: Result<Form, OAuthError>,
) -> Result<(Account, Params), Response> {
    posted(s, headers, form, true).await.map_err(|res| {
        match crate::pages::passkey::location_of(&res) {
            Some(to) => (
                StatusCode::UNAUTHORIZED,
                Json(json!({
                    "error": "reauth_required",
                    "message": "Sign in again to add a passkey.",
                    "reauth": to,
                })),
            )
                .into_response(),
            None if res.status() == StatusCode::FORBIDDEN => answer(
                StatusCode::FORBIDDEN,
                "csrf",
                "This page has expired. Reload it and try again.",
            ),
            None => res,
        }
    })
}

fn failure(e: Failure) -> Response {
    match e {
        Failure::TooMany => answer(
            StatusCode::CONFLICT,
            "too_many",
            &format!("You have {MAX_PASSKEYS} passkeys already. Remove one first."),
        ),
        Failure::Duplicate => answer(
            StatusCode::CONFLICT,
            "duplicate",
            "This passkey is registered already.",
        ),
        Failure::Unavailable => crate::pages::passkey::unavailable(),
        Failure::Ceremony => answer(
            StatusCode::BAD_REQUEST,
            "expired",
            "The request expired. Try again.",
        ),
        e if e.is_internal() => {
            tracing::error!(error = %e, "passkey registration failed");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Something went wrong. Please try again in a moment.",
            )
        }
        _ => answer(
            StatusCode::BAD_REQUEST,
            "passkey_refused",
            "The passkey could not be added. Try again.",
        ),
    }
}

/// `POST /account/passkeys/options`: a registration ceremony for the signed-in user.
pub async fn options(
    State(s): State<Shared>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let (account, _) = match posted_json(&s, &headers, form).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    match webauthn::start_registration(&s, &account.user, account.session_id()).await {
        Ok(challenge) => Json(challenge).into_response(),
        Err(e) => failure(e),
    }
}

/// `POST /account/passkeys/finish` (`ceremony`, `credential`, `name`): stores the passkey.
pub async fn finish(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let (account, p) = match posted_json(&s, &headers, form).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let raw = p.get("credential").unwrap_or("");
    let credential: Option<RegisterPublicKeyCredential> = (raw.len() <= 64 * 1024)
        .then(|| serde_json::from_str(raw).ok())
        .flatten();
    let Some(credential) = credential else {
        return failure(Failure::Refused("not a WebAuthn credential".into()));
    };
    let name = clean_name(p.get("name").unwrap_or("")).unwrap_or_else(|| DEFAULT_NAME.into());
    let done = webauthn::finish_registration(
        &s,
        &meta,
        &account.user.id,
        account.session_id(),
        p.get("ceremony").unwrap_or(""),
        &credential,
        &name,
    )
    .await;
    match done {
        Ok(_) => Json(json!({"location": "/account/?done=passkey_added"})).into_response(),
        Err(e) => failure(e),
    }
}

/// `POST /account/passkeys/rename` (`passkey_id`, `name`).
pub async fn rename(State(s): State<Shared>, Post(account, p): Post) -> Response {
    let Some(name) = clean_name(p.get("name").unwrap_or("")) else {
        let notice =
            view::Notice::error(StatusCode::UNPROCESSABLE_ENTITY, "A passkey needs a name.");
        return view::render(&s, &account, notice).await;
    };
    let id = p.get("passkey_id").unwrap_or("");
    let renamed: Result<bool, StoreError> = async {
        let mut tx = s.db.begin().await?;
        let found = rename_passkey(&mut tx, &account.user.id, id, &name).await?;
        tx.commit().await?;
        Ok(found)
    }
    .await;
    done(&s, &account, renamed, "passkey_renamed").await
}

/// `POST /account/passkeys/remove` (`passkey_id`): audited `passkey.removed`.
pub async fn remove(
    State(s): State<Shared>,
    meta: RequestMeta,
    Change(account, p): Change,
) -> Response {
    let id = p.get("passkey_id").unwrap_or("");
    let user_id = &account.user.id;
    let removed: Result<bool, StoreError> = async {
        let mut tx = s.db.begin().await?;
        if !delete_passkey(&mut tx, user_id, id).await? {
            return Ok(false);
        }
        account
            .event(kind::PASSKEY_REMOVED, &meta)
            .detail(json!({"passkey_id": id}))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    done(&s, &account, removed, "passkey_removed").await
}

/// After a change of one passkey: back to the page, or "no such passkey" (someone else's
/// passkey is not found either).
async fn done(
    s: &Shared,
    account: &Account,
    result: Result<bool, StoreError>,
    key: &str,
) -> Response {
    match result {
        Ok(true) => see_other(&format!("/account/?done={key}"), None),
        Ok(false) => {
            let notice = view::Notice::error(StatusCode::NOT_FOUND, "There is no such passkey.");
            view::render(s, account, notice).await
        }
        Err(_) => crate::pages::server_error(),
    }
}
