//! The product's JSON API. The `require_scope` layers in front of these handlers already
//! verified the bearer token (401 `invalid_token` / 403 `insufficient_scope` otherwise);
//! the handlers only ever touch the branch named by the verified token.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tessera_sdk::Caller;

use crate::data::NewOrder;
use crate::Shared;

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": code, "error_description": description})),
    )
        .into_response()
}

/// The answer to a token without branch context (a user with no membership, or a
/// client_credentials token): orders always belong to a branch.
fn no_branch() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "no_branch",
        "the token carries no branch; orders belong to a branch",
    )
}

/// `GET /api/orders` (scope `orders:read`): the orders of the token's branch, and who asked:
/// the user (`sub`) and, for a token an agent got by token exchange, the agent (`act`).
pub(crate) async fn list(State(app): State<Arc<Shared>>, caller: Caller) -> Response {
    let Some(branch) = caller.branch.as_deref() else {
        return no_branch();
    };
    Json(json!({
        "branch": branch,
        "branch_name": app.store.branch_name(branch),
        "orders": app.store.list(branch),
        "caller": {"sub": caller.subject, "act": caller.claims.get("act")},
    }))
    .into_response()
}

/// `POST /api/orders` (scope `orders:write`): `{"sku", "quantity", "customer"}` → 201
/// with the order, created in the token's branch.
pub(crate) async fn create(
    State(app): State<Arc<Shared>>,
    caller: Caller,
    body: Result<Json<NewOrder>, JsonRejection>,
) -> Response {
    let Some(branch) = caller.branch.as_deref() else {
        return no_branch();
    };
    let Json(order) = match body {
        Ok(body) => body,
        Err(rejection) => {
            return error(
                rejection.status(),
                "invalid_request",
                &rejection.body_text(),
            )
        }
    };
    match app.store.create(branch, order, &caller.subject) {
        Ok(order) => (StatusCode::CREATED, Json(json!({"order": order}))).into_response(),
        Err(why) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", &why),
    }
}
