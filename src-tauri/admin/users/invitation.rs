//! Invitations: `POST /v1/users {"email", "invite": true}` creates a user without a
//! password and emails a link to choose one (`selfservice::invite`, in the transaction
//! that creates the user, so there is never a user without its email or the reverse);
//! `invitation:resend` sends a new link to a user still invited (the old one stops
//! working). Both need email on: 409 `email_unavailable` otherwise.

use super::account::{self, Created};
use super::mfa::optional_body;
use super::{require_user, user_json};
use crate::admin::settings::{check_email_on, email_unavailable};
use crate::admin::Admin;
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::ApiError;
use crate::selfservice::{self, kind, FlowError};
use crate::state::Shared;
use crate::store::clients::ClientKind;
use crate::store::email::{last_link_client, LinkKind};
use crate::store::users::{self, UserRow};
use crate::store::Tx;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use tessera_proto::error::ErrorEnvelope;
use tessera_proto::users::{ResendInvitation, User};

/// Checks that `client_id` names a product's web client (the invitation's product).
async fn product_web_client(s: &Shared, client_id: Option<&str>) -> Result<(), ApiError> {
    let Some(id) = client_id else { return Ok(()) };
    let client = s.clients.get(&s.db.read, id).await?;
    if client.is_some_and(|c| c.product_id.is_some() && c.kind == ClientKind::Web) {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            "client_id",
            "is not the web client of a product",
        ))
    }
}

fn flow_error(e: FlowError) -> ApiError {
    match e {
        // Email went off between the check and the transaction.
        FlowError::EmailOff => email_unavailable(),
        FlowError::Store(e) => e.into(),
        other => {
            tracing::error!(error = ?other, "unexpected invitation failure");
            ApiError::internal()
        }
    }
}

/// Queues the invitation of `user` in `tx` and its `user.invited` event.
async fn invite_in(
    tx: &mut Tx,
    s: &Shared,
    admin: &Admin,
    meta: &RequestMeta,
    user: &UserRow,
    client_id: Option<&str>,
    resent: bool,
) -> Result<(), ApiError> {
    selfservice::invite(tx, s, user, client_id)
        .await
        .map_err(flow_error)?;
    let mut event = Event::success(kind::INVITATION_SENT)
        .meta(meta)
        .actor(admin.actor())
        .subject(&user.id)
        .detail(json!({"email": user.email, "resent": resent}));
    if let Some(c) = client_id {
        event = event.client(c);
    }
    event.write(tx).await?;
    Ok(())
}

/// Creates `new` invited (no password) and queues its invitation; returns its id.
pub(super) async fn create_invited(
    s: &Shared,
    new: &Created<'_>,
    client_id: Option<&str>,
) -> Result<String, ApiError> {
    check_email_on(s)?;
    product_web_client(s, client_id).await?;
    let mut tx = s.db.begin().await?;
    account::insert(&mut tx, new, "").await?;
    let user = users::find_user_tx(&mut tx, &new.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    invite_in(&mut tx, s, new.admin, new.meta, &user, client_id, false).await?;
    tx.commit().await?;
    s.audit.ring();
    s.mail.wake();
    Ok(new.id.clone())
}

fn not_invited() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "not_invited",
        "the user is not waiting on an invitation (accepted, or created with a password)",
    )
}

#[utoipa::path(
    post, path = "/users/{id}/invitation:resend", tag = "users",
    operation_id = "users_resend_invitation",
    params(("id" = String, Path, description = "The resource id")),
    request_body(content = ResendInvitation, description = "Optional; no body names the \
        product of the last invitation again"),
    responses(
        (status = 202, description = "A new invitation is queued; the old link stops working",
            body = User),
        (status = 409, description = "`not_invited`: the user is not invited; \
            `email_unavailable`: email is off", body = ErrorEnvelope),
    )
)]
pub async fn resend(
    State(s): State<Shared>,
    admin: Admin,
    meta: RequestMeta,
    Path(id): Path<String>,
    req: Request,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let body: ResendInvitation = optional_body(req).await?;
    if require_user(&s, &id).await?.shown_status() != "invited" {
        return Err(not_invited());
    }
    check_email_on(&s)?;
    product_web_client(&s, body.client_id.as_deref()).await?;
    let mut tx = s.db.begin().await?;
    // Again inside the write transaction: the invitation may have been accepted meanwhile.
    let user = users::find_user_tx(&mut tx, &id)
        .await?
        .filter(|u| u.shown_status() == "invited")
        .ok_or_else(not_invited)?;
    let client_id = match body.client_id {
        Some(c) => Some(c),
        None => last_link_client(&mut tx, &id, LinkKind::Invite).await?,
    };
    invite_in(
        &mut tx,
        &s,
        &admin,
        &meta,
        &user,
        client_id.as_deref(),
        true,
    )
    .await?;
    tx.commit().await?;
    s.audit.ring();
    s.mail.wake();
    let user = require_user(&s, &id).await?;
    Ok((StatusCode::ACCEPTED, user_json(&s, &user).await?))
}
