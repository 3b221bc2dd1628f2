//! The hosted consent page `/consent`: a third-party client (registered by anyone through
//! `/oauth/register`) asks for a signed-in user's scopes; the user allows or denies. The
//! sign-in waits on the interaction (`oauth::authorize::consent::gate` parked it there),
//! so the page is bound like the login form (interaction cookie + CSRF token) and to the
//! very SSO session that signed in. What the client registered about itself (name, logo,
//! website) is shown as untrusted text: escaped, cleaned of control characters, never an
//! image or a link Tessera vouches for.

use super::login::{bound_request, expired, last_step, live_session, shown_interaction};
use super::{alert, binding, page};
use crate::audit::Event;
use crate::domain::RequestMeta;
use crate::error::OAuthError;
use crate::oauth::authorize::consent::{ConsentStep, PendingConsent};
use crate::oauth::authorize::consent::{CONSENT_DENIED, CONSENT_GRANTED};
use crate::oauth::authorize::{error_location, issue_code_in, AuthRequest};
use crate::oauth::params::{Form, Params};
use crate::state::Shared;
use crate::store::consents::{self, ClientMetadata};
use crate::store::now;
use crate::store::sessions::{self, InteractionRow, SessionRow};
use crate::store::users::UserRow;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{html, Markup};
use serde_json::json;

/// The most characters of a client's registered text the page shows.
const MAX_SHOWN: usize = 120;

/// A sign-in parked for consent that this browser may answer: its interaction, the
/// request, the session that signed in (still live, still this browser's) and its user.
struct Parked {
    row: InteractionRow,
    req: AuthRequest,
    pending: PendingConsent,
    session: SessionRow,
    user: UserRow,
}

async fn find_parked(
    s: &Shared,
    headers: &HeaderMap,
    row: InteractionRow,
) -> Result<Option<Parked>, OAuthError> {
    let Ok(req) = serde_json::from_str::<AuthRequest>(&row.request) else {
        return Ok(None);
    };
    let Some(pending) = req.consent.pending.clone() else {
        return Ok(None);
    };
    let Some((session, user)) = live_session(s, headers).await? else {
        return Ok(None);
    };
    if session.id != pending.session_id || user.id != pending.user_id {
        return Ok(None);
    }
    Ok(Some(Parked {
        row,
        req,
        pending,
        session,
        user,
    }))
}

/// The parked sign-in of interaction `row`, or the page to answer (expired, server error).
async fn parked(s: &Shared, headers: &HeaderMap, row: InteractionRow) -> Result<Parked, Response> {
    match find_parked(s, headers, row).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(expired()),
        Err(_) => Err(super::server_error()),
    }
}

/// `GET /consent?interaction=…`
pub async fn show(State(s): State<Shared>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let row = match shown_interaction(&s, &headers, q).await {
        Ok(row) => row,
        Err(res) => return res,
    };
    match parked(&s, &headers, row).await {
        Ok(p) => consent_page(&s, &p, StatusCode::OK, None).await,
        Err(res) => res,
    }
}

/// `POST /consent` (`decision=approve|deny`): approve remembers the scopes and goes on
/// with the sign-in (a code, back to the client); deny returns `access_denied` and
/// remembers nothing. Both spend the interaction and are audited.
pub async fn submit(
    State(s): State<Shared>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form, OAuthError>,
) -> Response {
    let (p, f) = match posted(&s, &headers, form).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let decided = match f.get("decision") {
        Some("approve") => approve(&s, &meta, &p).await,
        Some("deny") => deny(&s, &meta, &p).await,
        _ => {
            let msg = "Choose Allow or Deny.";
            return consent_page(&s, &p, StatusCode::BAD_REQUEST, Some(msg)).await;
        }
    };
    last_step(&s, decided)
}

/// The parked sign-in a form posted by this browser answers (interaction cookie and CSRF
/// token right), with the form; else the page to answer.
async fn posted(
    s: &Shared,
    headers: &HeaderMap,
    form: Result<Form, OAuthError>,
) -> Result<(Parked, Params), Response> {
    let Ok(Form(f)) = form else {
        return Err(expired());
    };
    let (row, _) = bound_request(s, headers, &f).await?;
    Ok((parked(s, headers, row).await?, f))
}

/// The audit event of the user's answer about `p`'s client.
fn answer_event(event: Event, meta: &RequestMeta, p: &Parked) -> Event {
    event
        .meta(meta)
        .actor(&p.user.id)
        .subject(&p.user.id)
        .client(&p.req.client_id)
}

/// In one transaction: the interaction spent, the consent stored (the union with what was
/// approved before), `consent.granted`, and the code. Returns where the browser goes.
async fn approve(s: &Shared, meta: &RequestMeta, p: &Parked) -> Result<String, OAuthError> {
    let mut tx = s.db.begin().await?;
    if !sessions::delete_interaction(&mut tx, &p.row.id).await? {
        return Err(OAuthError::invalid_request("interaction already used"));
    }
    let (user, client) = (&p.user.id, &p.req.client_id);
    let remembered = consents::approve(&mut tx, user, client, &p.req.scope, now()).await?;
    answer_event(Event::success(CONSENT_GRANTED), meta, p)
        .detail(json!({"scopes": p.req.scope, "remembered": remembered}))
        .write(&mut tx)
        .await?;
    // The request is answered: `prompt=consent` is satisfied, nothing is pending.
    let mut req = p.req.clone();
    req.consent = ConsentStep::default();
    let ctx = p.pending.branch_context();
    let location = issue_code_in(s, &mut tx, &req, &p.session, ctx.as_ref()).await?;
    tx.commit().await?;
    Ok(location)
}

/// The interaction spent and `consent.denied`; the client gets `access_denied`.
async fn deny(s: &Shared, meta: &RequestMeta, p: &Parked) -> Result<String, OAuthError> {
    let mut tx = s.db.begin().await?;
    if !sessions::delete_interaction(&mut tx, &p.row.id).await? {
        return Err(OAuthError::invalid_request("interaction already used"));
    }
    answer_event(Event::failure(CONSENT_DENIED), meta, p)
        .detail(json!({"scopes": p.req.scope}))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    let denied = OAuthError::new(
        StatusCode::FORBIDDEN,
        "access_denied",
        "the user did not allow the application's access",
    );
    Ok(error_location(s, &p.req, denied))
}

/// What the page shows about the client and the scopes.
struct Shown {
    metadata: ClientMetadata,
    /// Scopes approved before (the others are marked new).
    granted: Vec<String>,
    products: Vec<(String, String)>,
}

async fn consent_page(s: &Shared, p: &Parked, status: StatusCode, error: Option<&str>) -> Response {
    let (metadata, granted, products) = tokio::join!(
        consents::client_metadata(&s.db.read, &p.req.client_id),
        consents::granted(&s.db.read, &p.user.id, &p.req.client_id),
        consents::scope_products(&s.db.read, &p.req.scope),
    );
    let (Ok(metadata), Ok(granted), Ok(products)) = (metadata, granted, products) else {
        return super::server_error();
    };
    let shown = Shown {
        metadata,
        granted: granted.unwrap_or_default(),
        products,
    };
    page(status, "Allow access", consent_body(p, &shown, error))
}

fn consent_body(p: &Parked, shown: &Shown, error: Option<&str>) -> Markup {
    let m = &shown.metadata;
    let name = client_label(m.client_name.as_deref(), &p.req.client_id);
    let asked_before = !shown.granted.is_empty();
    html! {
        h1 { span class="client" { (name) } " wants to access your Tessera account" }
        p class="note untrusted" {
            "This app was registered by a third party; Tessera has not verified its name."
        }
        (alert(error))
        p { "Signed in as " strong { (p.user.email) } }
        p class="asks" { "It asks to:" }
        ul class="scopes" {
            @for scope in &p.req.scope {
                li {
                    (scope_text(scope, &shown.products))
                    @if asked_before && !shown.granted.contains(scope) {
                        " " span class="badge" { "new" }
                    }
                }
            }
        }
        (registered_links(m))
        p class="meta" { "If you allow it, you go on to " strong class="uri" { (destination(&p.req.redirect_uri)) } "." }
        form method="post" action="/consent" {
            (binding(&p.row.id, &p.row.csrf_token))
            button type="submit" name="decision" value="approve" { "Allow" }
            button type="submit" name="decision" value="deny" class="secondary" { "Deny" }
        }
    }
}

/// The website and logo addresses the client registered, as plain text (not checked by
/// Tessera, so neither a link nor an image).
fn registered_links(m: &ClientMetadata) -> Markup {
    html! {
        @if let Some(uri) = &m.client_uri {
            p class="meta" { "Website it gave (not checked): " span class="uri" { (untrusted(uri)) } }
        }
        @if let Some(uri) = &m.logo_uri {
            p class="meta" { "Logo address it gave (not shown): " span class="uri" { (untrusted(uri)) } }
        }
    }
}

/// A third-party client as the user sees it: its registered name as untrusted text, else
/// its id.
pub(crate) fn client_label(client_name: Option<&str>, client_id: &str) -> String {
    let name = client_name.map(untrusted).filter(|n| !n.is_empty());
    name.unwrap_or_else(|| untrusted(client_id))
}

/// Text someone else registered, safe to show (maud escapes it as well): no control or
/// bidirectional-override characters (which could make it read as something else), at
/// most [`MAX_SHOWN`] characters.
pub(crate) fn untrusted(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() && !is_format_char(*c))
        .collect();
    let clean = clean.trim();
    if clean.chars().count() > MAX_SHOWN {
        let cut: String = clean.chars().take(MAX_SHOWN).collect();
        return format!("{cut}…");
    }
    clean.to_string()
}

/// Invisible formatting characters: bidirectional marks, overrides and isolates,
/// zero-width characters.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A scope in words: the OIDC scopes say what they reveal, a product's scope names its
/// product, anything else is shown as it is.
pub(crate) fn scope_text(scope: &str, products: &[(String, String)]) -> String {
    let words = match scope {
        "openid" => "Confirm who you are",
        "profile" => "See your name and language",
        "email" => "See your email address",
        "offline_access" => "Keep access while you are away",
        _ => {
            return match products.iter().find(|(s, _)| s == scope) {
                Some((_, product)) => format!("{scope} — {product}"),
                None => scope.to_string(),
            }
        }
    };
    words.to_string()
}

/// Where the browser goes afterwards: the redirect URI's origin (a native app's scheme).
fn destination(redirect_uri: &str) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(u) => match u.origin() {
            o @ url::Origin::Tuple(..) => o.ascii_serialization(),
            url::Origin::Opaque(_) => format!("the app at {}:", u.scheme()),
        },
        Err(_) => untrusted(redirect_uri),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_loses_control_and_bidi_characters_and_is_cut() {
        assert_eq!(untrusted("Good\u{202E}gnp.exe\n"), "Goodgnp.exe");
        assert_eq!(untrusted(&"x".repeat(500)).chars().count(), MAX_SHOWN + 1);
        assert_eq!(client_label(Some(" \u{200B} "), "abc"), "abc");
        assert_eq!(client_label(Some("Notes"), "abc"), "Notes");
    }

    #[test]
    fn scopes_are_put_in_words() {
        let products = vec![("orders:read".to_string(), "Shop".to_string())];
        assert_eq!(scope_text("email", &products), "See your email address");
        assert_eq!(scope_text("orders:read", &products), "orders:read — Shop");
        assert_eq!(scope_text("other", &products), "other");
    }

    #[test]
    fn the_destination_is_an_origin() {
        assert_eq!(
            destination("https://app.example/cb?x=1"),
            "https://app.example"
        );
        assert_eq!(
            destination("http://127.0.0.1:8080/callback"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            destination("com.example.app:/cb"),
            "the app at com.example.app:"
        );
        assert_eq!(
            destination("https://bücher.example/cb"),
            "https://xn--bcher-kva.example"
        );
    }
}
