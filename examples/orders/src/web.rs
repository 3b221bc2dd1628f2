//! The browser-facing pages: sign-in, the orders page, branch switch, new order,
//! sign-out. POST forms carry the session's CSRF token (on top of SameSite=Lax).

use std::sync::Arc;

use axum::extract::{Form, Query, RawQuery, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use tessera_sdk::{AuthorizedClient, Error, LoginOptions};

use crate::data::{NewOrder, Order};
use crate::html::{self, Dashboard, StockView};
use crate::sessions::{self, SignedIn, COOKIE_NAME};
use crate::{Shared, LOGIN_SCOPES};

/// At most this many distinct SKUs are looked up at the stock service per page.
const MAX_STOCK_LOOKUPS: usize = 5;

/// An HTML response that is never cached and cannot be framed.
fn page(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    resp
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    page(status, html::problem(title, detail))
}

/// 303 to `to`.
fn see_other(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

fn with_cookie(mut resp: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// Why a POST form was not accepted.
enum FormRefusal {
    /// No signed-in session in this browser.
    NotSignedIn,
    /// The form's CSRF token is not the session's.
    Csrf,
}

impl IntoResponse for FormRefusal {
    fn into_response(self) -> Response {
        match self {
            FormRefusal::NotSignedIn => problem(
                StatusCode::UNAUTHORIZED,
                "Not signed in",
                "Sign in first (your session may have ended).",
            ),
            FormRefusal::Csrf => problem(
                StatusCode::FORBIDDEN,
                "Form expired",
                "The form does not belong to your current session; reload the page and try again.",
            ),
        }
    }
}

/// Whether `e` means the user's session is over at the issuer (refresh token expired,
/// revoked, user suspended): the app forgets it and asks for a new sign-in.
fn session_ended(e: &Error) -> bool {
    matches!(e, Error::SessionExpired) || e.oauth_error() == Some("invalid_grant")
}

impl Shared {
    /// The browser's session id and signed-in session, if any.
    fn current(&self, headers: &HeaderMap) -> Option<(String, SignedIn)> {
        let id = sessions::cookie(headers, COOKIE_NAME)?;
        let user = self.sessions.signed_in(&id)?;
        Some((id, user))
    }

    /// The signed-in session for a POST form, checking its CSRF token.
    fn form_session(
        &self,
        headers: &HeaderMap,
        csrf_token: &str,
    ) -> Result<(String, SignedIn), FormRefusal> {
        let (id, user) = self.current(headers).ok_or(FormRefusal::NotSignedIn)?;
        if !sessions::ct_eq(csrf_token, &user.csrf_token) {
            return Err(FormRefusal::Csrf);
        }
        Ok((id, user))
    }

    /// Forgets session `id` and shows the sign-in page with `notice`.
    fn ended(&self, id: &str, notice: &str) -> Response {
        self.sessions.remove(id);
        with_cookie(
            page(StatusCode::OK, html::signed_out(Some(notice))),
            &sessions::clear_cookie(self.secure_cookies),
        )
    }

    fn api(&self, user: &SignedIn) -> AuthorizedClient {
        AuthorizedClient::with_http(user.session.clone(), self.http.clone())
    }

    /// Asks the stock service about each SKU with the server client's token.
    async fn stock(&self, skus: &[String]) -> StockView {
        if skus.is_empty() {
            return StockView::NothingToCheck;
        }
        // One token request for the page (cached by the SDK); when the issuer refuses it
        // there is no point in asking per SKU.
        if let Err(e) = self.service.access_token().await {
            return StockView::NoToken(e.to_string());
        }
        let mut items = Vec::with_capacity(skus.len());
        for sku in skus {
            let mut url = self.stock_url.clone();
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.push("stock").push(sku);
            }
            let answer = match self.service.send(self.http.get(url)).await {
                Ok(resp) if resp.status() == StatusCode::OK => resp
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|v| v["available"].as_u64())
                    .ok_or_else(|| "the stock service answered without a count".to_string()),
                Ok(resp) => Err(format!(
                    "the stock service refused: {}",
                    describe(resp).await
                )),
                Err(e) => Err(format!("the stock service is unreachable: {e}")),
            };
            items.push((sku.clone(), answer));
        }
        StockView::Items(items)
    }
}

/// `403 Forbidden: insufficient_scope (the token lacks ...) [Bearer error=...]` from an
/// API error response.
async fn describe(resp: reqwest::Response) -> String {
    let status = resp.status();
    let challenge = resp
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(|c| format!(" [WWW-Authenticate: {c}]"))
        .unwrap_or_default();
    let body: Value = resp.json().await.unwrap_or_default();
    let error = body["error"].as_str().unwrap_or("no error code");
    let description = body["error_description"]
        .as_str()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    format!("{status}: {error}{description}{challenge}")
}

/// `GET /`: "Sign in", or the signed-in user, the active branch, its orders (from the
/// API, as the user) and the stock of their SKUs (from the stock service, as the product).
pub(crate) async fn index(State(app): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let Some((id, user)) = app.current(&headers) else {
        return page(StatusCode::OK, html::signed_out(None));
    };
    let api = app.api(&user);
    let orders: Result<Vec<Order>, String> = match api.send(api.get(&app.api_url)).await {
        Ok(resp) if resp.status() == StatusCode::OK => resp
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| serde_json::from_value(v["orders"].clone()).ok())
            .ok_or_else(|| "the orders API answered an unreadable list".to_string()),
        Ok(resp) => Err(describe(resp).await),
        Err(e) if session_ended(&e) => {
            return app.ended(&id, "Your session has ended. Please sign in again.")
        }
        Err(e) => Err(format!("cannot reach the orders API: {e}")),
    };
    let mut skus: Vec<String> = Vec::new();
    for order in orders.iter().flatten() {
        if !skus.contains(&order.sku) && skus.len() < MAX_STOCK_LOOKUPS {
            skus.push(order.sku.clone());
        }
    }
    let stock = app.stock(&skus).await;

    let session = &user.session;
    let claims = session.id_claims();
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
    let subject = session.subject().unwrap_or_default();
    let who = match (text("name"), text("email")) {
        (Some(name), Some(email)) => format!("{name} <{email}>"),
        (Some(name), None) => name,
        (None, Some(email)) => email,
        (None, None) => subject.clone(),
    };
    let branch = session.branch();
    let other_branches = app
        .store
        .branches()
        .iter()
        .filter(|b| Some(&b.id) != branch.as_ref())
        .collect();
    let branch = branch.map(|b| {
        let name = app.store.branch_name(&b).map(str::to_string);
        (b, name)
    });
    page(
        StatusCode::OK,
        html::dashboard(&Dashboard {
            user: who,
            subject,
            org: session.org(),
            branch,
            scopes: session.scopes(),
            orders,
            other_branches,
            stock,
            csrf_token: &user.csrf_token,
        }),
    )
}

/// `GET /login` query.
#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    /// Sign straight into this branch (skips Tessera's branch choice).
    branch: Option<String>,
}

/// `GET /login[?branch=ID]`: a new login (state, nonce, PKCE) kept under a fresh session
/// cookie, then off to Tessera.
pub(crate) async fn login(
    State(app): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let request = app.client.begin_login(LoginOptions {
        redirect_uri: app.redirect_uri.clone(),
        scopes: LOGIN_SCOPES.iter().map(|s| s.to_string()).collect(),
        branch: query.branch.filter(|b| !b.is_empty()),
        prompt: None,
    });
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            return problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Cannot sign in",
                &e.to_string(),
            )
        }
    };
    let previous = sessions::cookie(&headers, COOKIE_NAME);
    let url = request.url.clone();
    let id = app.sessions.start_login(previous.as_deref(), request);
    with_cookie(
        see_other(&url),
        &sessions::set_cookie(&id, app.secure_cookies),
    )
}

/// `GET /callback?code=...&state=...&iss=...`: the SDK checks `state` and `iss`, exchanges
/// the code and verifies the ID token; the session then gets a new id.
pub(crate) async fn callback(
    State(app): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let login =
        sessions::cookie(&headers, COOKIE_NAME).and_then(|id| app.sessions.take_pending(&id));
    let Some(login) = login else {
        return problem(
            StatusCode::BAD_REQUEST,
            "No sign-in in progress",
            "This browser has no sign-in in progress (it expired, or cookies are blocked). Start again from the orders page.",
        );
    };
    let url = format!("{}?{}", app.redirect_uri, query.unwrap_or_default());
    match app.client.complete_login(&login, &url).await {
        Ok(session) => {
            let id = app.sessions.sign_in(session);
            with_cookie(
                see_other("/"),
                &sessions::set_cookie(&id, app.secure_cookies),
            )
        }
        Err(e) => {
            let status = match e {
                Error::Http(_) | Error::UnexpectedResponse(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::BAD_REQUEST,
            };
            with_cookie(
                problem(status, "Sign-in failed", &e.to_string()),
                &sessions::clear_cookie(app.secure_cookies),
            )
        }
    }
}

/// The CSRF field every POST form carries.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf_token: String,
}

/// `POST /switch-branch` form.
#[derive(Deserialize)]
pub(crate) struct SwitchForm {
    csrf_token: String,
    branch: String,
}

/// `POST /switch-branch`: a refresh with `branch=ID`. Refused (403) when the user holds
/// no role there; the session then keeps its branch.
pub(crate) async fn switch_branch(
    State(app): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<SwitchForm>,
) -> Response {
    let (id, user) = match app.form_session(&headers, &form.csrf_token) {
        Ok(s) => s,
        Err(refusal) => return refusal.into_response(),
    };
    match user.session.switch_branch(&form.branch).await {
        Ok(()) => see_other("/"),
        Err(Error::BranchRefused { error, .. }) => {
            let name = app.store.branch_name(&form.branch).unwrap_or(&form.branch);
            problem(
                StatusCode::FORBIDDEN,
                "Branch not available",
                &format!(
                    "You hold no role in branch {name} (Tessera answered {error}); you stay in your current branch."
                ),
            )
        }
        Err(e) if session_ended(&e) => {
            app.ended(&id, "Your session has ended. Please sign in again.")
        }
        Err(e) => problem(
            StatusCode::BAD_GATEWAY,
            "Cannot switch branch",
            &e.to_string(),
        ),
    }
}

/// `POST /orders` form.
#[derive(Deserialize)]
pub(crate) struct OrderForm {
    csrf_token: String,
    sku: String,
    quantity: String,
    customer: String,
}

/// `POST /orders`: creates the order through `POST /api/orders` with the user's token,
/// so the API's scope check decides. A refusal is shown with the API's status (403
/// `insufficient_scope` without `orders:write`).
pub(crate) async fn create_order(
    State(app): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<OrderForm>,
) -> Response {
    let (id, user) = match app.form_session(&headers, &form.csrf_token) {
        Ok(s) => s,
        Err(refusal) => return refusal.into_response(),
    };
    let Ok(quantity) = form.quantity.trim().parse::<u32>() else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Order not created",
            "The quantity must be a whole number.",
        );
    };
    let order = NewOrder {
        sku: form.sku.trim().to_string(),
        quantity,
        customer: form.customer,
    };
    let api = app.api(&user);
    match api.send(api.post(&app.api_url).json(&order)).await {
        Ok(resp) if resp.status() == StatusCode::CREATED => see_other("/"),
        Ok(resp) => {
            let status = match resp.status().as_u16() {
                s @ (400 | 401 | 403 | 422) => {
                    StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_GATEWAY)
                }
                _ => StatusCode::BAD_GATEWAY,
            };
            let why = describe(resp).await;
            problem(
                status,
                "Order not created",
                &format!("The orders API refused: {why}"),
            )
        }
        Err(e) if session_ended(&e) => {
            app.ended(&id, "Your session has ended. Please sign in again.")
        }
        Err(e) => problem(StatusCode::BAD_GATEWAY, "Order not created", &e.to_string()),
    }
}

/// `POST /logout`: forgets the session here, then Tessera's RP-initiated logout ends the
/// SSO session and comes back to `/`.
pub(crate) async fn logout(
    State(app): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (id, user) = match app.form_session(&headers, &form.csrf_token) {
        Ok(s) => s,
        Err(refusal) => return refusal.into_response(),
    };
    app.sessions.remove(&id);
    let to = user
        .session
        .logout_url(Some(&app.home_url), None)
        .unwrap_or_else(|_| "/".to_string());
    with_cookie(see_other(&to), &sessions::clear_cookie(app.secure_cookies))
}
