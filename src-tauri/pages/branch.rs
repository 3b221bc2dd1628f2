//! The hosted branch-choice page: a signed-in user with several branches picks one. Bound
//! to the browser by the interaction and SSO cookies, and to the request by a CSRF token.

use super::login::{bound_interaction, csrf_ok, expired, last_step, live_session};
use super::{alert, binding, page};
use crate::domain::branch;
use crate::error::OAuthError;
use crate::oauth::authorize::{issue_code_in, AuthRequest};
use crate::oauth::params::{Form, Params};
use crate::state::Shared;
use crate::store::businesses;
use crate::store::sessions::{self, InteractionRow, SessionRow};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

/// The pending interaction and the live session of an active user, or `None`.
async fn context(
    s: &Shared,
    headers: &HeaderMap,
    interaction: Option<&str>,
) -> Result<Option<(InteractionRow, SessionRow, Vec<branch::Grant>)>, OAuthError> {
    let Some(row) = bound_interaction(s, headers, interaction).await? else {
        return Ok(None);
    };
    let Some((session, _)) = live_session(s, headers).await? else {
        return Ok(None);
    };
    let grants = businesses::user_branch_grants(&s.db.read, &session.user_id).await?;
    Ok(Some((row, session, grants)))
}

fn branch_form(
    status: StatusCode,
    row: &InteractionRow,
    grants: &[branch::Grant],
    error: Option<&str>,
) -> Response {
    let body = html! {
        h1 { "Choose a branch" }
        p { "You work in more than one branch. Which one do you want to use?" }
        (alert(error))
        form method="post" action="/login/branch" {
            (binding(&row.id, &row.csrf_token))
            fieldset {
                legend { "Branch" }
                @for (i, (id, name)) in branch::branches(grants).iter().enumerate() {
                    label { input type="radio" name="branch" value=(id) checked[i == 0]; " " (name) }
                }
            }
            button type="submit" { "Continue" }
        }
    };
    page(status, "Choose a branch", body)
}

pub async fn show(State(s): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let Ok(p) = Params::parse(q.unwrap_or_default().as_bytes()) else {
        return expired();
    };
    match context(&s, &headers, p.get("interaction")).await {
        Ok(Some((row, _, grants))) => branch_form(StatusCode::OK, &row, &grants, None),
        Ok(None) => expired(),
        Err(_) => super::server_error(),
    }
}

pub async fn submit(
    State(s): State<Shared>,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let Ok(Form(p)) = form else { return expired() };
    let (row, session, grants) = match context(&s, &headers, p.get("interaction")).await {
        Ok(Some(v)) => v,
        Ok(None) => return expired(),
        Err(_) => return super::server_error(),
    };
    if !csrf_ok(&p, &row) {
        return expired();
    }
    let Ok(req) = serde_json::from_str::<AuthRequest>(&row.request) else {
        return expired();
    };
    let Some(ctx) = p.get("branch").and_then(|b| branch::context(&grants, b)) else {
        return branch_form(
            StatusCode::BAD_REQUEST,
            &row,
            &grants,
            Some("Choose one of your branches."),
        );
    };
    let result: Result<String, OAuthError> = async {
        let mut tx = s.db.begin().await?;
        if !sessions::delete_interaction(&mut tx, &row.id).await? {
            return Err(OAuthError::invalid_request("interaction already used"));
        }
        let location = issue_code_in(&s, &mut tx, &req, &session, Some(&ctx)).await?;
        tx.commit().await?;
        Ok(location)
    }
    .await;
    last_step(&s, result)
}
