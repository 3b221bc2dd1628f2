//! Third-party (dynamically registered) clients and their consent page, as a browser and
//! the client use them.
use super::db::sql_write;
use super::{param, pkce, random_token, unix_now, Answer, Browser, Fixture, Reply};
use reqwest::Method;
use serde_json::{json, Value};
use url::Url;

/// The OIDC scopes every registered client may ask for.
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// A third-party client the tests sign in to.
#[derive(Debug, Clone)]
pub struct DynamicClient {
    pub client_id: String,
    pub redirect_uri: String,
}

/// A public client registered through `POST /oauth/register` (RFC 7591) with a one-use
/// initial access token: kind `dynamic`, third-party, no product. It sends RFC 7591
/// `metadata` (client_name, logo_uri, ...; members it sets win) and one login redirect
/// URI, and may ask for the OIDC scopes and `scopes`.
pub async fn dynamic_client(fx: &Fixture, metadata: &Value, scopes: &[&str]) -> DynamicClient {
    let grant = json!({"name": "consent tests", "expires_in": 600, "max_uses": 1});
    let token = fx
        .admin(Method::POST, "/v1/registration-tokens", Some(&grant))
        .await;
    assert_eq!(token.status, 201, "{}", token.text);
    let redirect_uri = format!("https://agent-{}.example/callback", rand::random::<u32>());
    let mut body = metadata.clone();
    let extra = json!({
        "redirect_uris": [redirect_uri],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": OIDC_SCOPES.iter().chain(scopes).copied().collect::<Vec<_>>().join(" "),
    });
    for (k, v) in extra.as_object().expect("object") {
        if body.get(k).is_none() {
            body[k] = v.clone();
        }
    }
    let registered = fx
        .http
        .post(fx.url("/oauth/register"))
        .bearer_auth(token.json["token"].as_str().expect("token"))
        .json(&body)
        .send()
        .await
        .expect("POST /oauth/register");
    let registered = Reply::read(registered).await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    DynamicClient {
        client_id: registered.json["client_id"]
            .as_str()
            .expect("client_id")
            .to_string(),
        redirect_uri,
    }
}

/// A dynamic client with `metadata` written straight into the database, unchecked: what
/// registration refuses (a `javascript:` client_uri) must still render harmlessly if it
/// is ever stored (an older version, a hand-edited database).
pub async fn stored_dynamic_client(fx: &Fixture, metadata: &Value) -> DynamicClient {
    let client_id = format!("dyn_{}", random_token());
    let redirect_uri = format!("https://agent-{}.example/callback", rand::random::<u32>());
    let quote = |s: &str| s.replace('\'', "''");
    let name = metadata["client_name"]
        .as_str()
        .unwrap_or(&client_id)
        .to_string();
    sql_write(
        &fx.srv,
        &format!(
            "INSERT INTO clients (client_id, product_id, kind, name, secret_hash, scopes, created_at, metadata)
             VALUES ('{client_id}', NULL, 'dynamic', '{}', NULL, '{}', {}, '{}')",
            quote(&name),
            quote(&serde_json::to_string(&OIDC_SCOPES).expect("scopes")),
            unix_now(),
            quote(&metadata.to_string()),
        ),
    );
    sql_write(
        &fx.srv,
        &format!(
            "INSERT INTO client_redirect_uris (client_id, kind, uri)
             VALUES ('{client_id}', 'login', '{redirect_uri}')"
        ),
    );
    DynamicClient {
        client_id,
        redirect_uri,
    }
}

/// An authorization request of a third-party client and what the client keeps for it.
pub struct ThirdPartyRequest {
    pub url: String,
    pub state: String,
    pub verifier: String,
}

/// The authorize URL of `client` for `scope`, with `extra` parameters (`prompt`, ...).
pub fn authorize(
    fx: &Fixture,
    client: &DynamicClient,
    scope: &str,
    extra: &[(&str, &str)],
) -> ThirdPartyRequest {
    let (verifier, challenge) = pkce();
    let state = random_token();
    let mut url = Url::parse(&fx.url("/oauth/authorize")).expect("authorize url");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", &state)
        .append_pair("nonce", &random_token())
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(extra);
    ThirdPartyRequest {
        url: url.into(),
        state,
        verifier,
    }
}

/// The consent page's form fields: (interaction, csrf_token).
pub fn consent_fields(page: &str) -> (String, String) {
    let inputs = super::html_inputs(page);
    let field = |n: &str| {
        inputs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no input {n}: {page}"))
    };
    (field("interaction"), field("csrf_token"))
}

/// Follows a 303 to `/consent` and returns the page (200).
pub async fn open_consent(browser: &Browser, went: &Answer) -> Answer {
    assert_eq!(went.status, 303, "{went:?}");
    let to = went.location.clone().expect("Location");
    assert_eq!(to.path(), "/consent", "went to {to}, not the consent page");
    let page = browser.get(to.as_str()).await;
    assert_eq!(page.status, 200, "{page:?}");
    page
}

/// Posts `decision` (`approve` or `deny`) on the consent page `page`.
pub async fn decide(browser: &Browser, page: &Answer, decision: &str) -> Answer {
    let (interaction, csrf) = consent_fields(&page.body);
    let form = [
        ("interaction".to_string(), interaction),
        ("csrf_token".to_string(), csrf),
        ("decision".to_string(), decision.to_string()),
    ];
    browser.post_form("/consent", &form).await
}

/// The code in a redirect to `client`, after checking `state` and `iss`.
pub fn code_of(
    fx: &Fixture,
    client: &DynamicClient,
    req: &ThirdPartyRequest,
    back: &Answer,
) -> String {
    assert_eq!(back.status, 303, "{back:?}");
    let to = back.location.clone().expect("Location");
    assert!(
        to.as_str().starts_with(&client.redirect_uri),
        "went to {to}"
    );
    assert_eq!(param(&to, "state").as_deref(), Some(req.state.as_str()));
    assert_eq!(param(&to, "iss").as_deref(), Some(fx.issuer()));
    param(&to, "code").unwrap_or_else(|| panic!("no code in {to}"))
}

/// Redeems a code of the public third-party client.
pub async fn exchange(fx: &Fixture, client: &DynamicClient, code: &str, verifier: &str) -> Reply {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier),
        ("client_id", client.client_id.as_str()),
    ];
    fx.post_form("/oauth/token", None, &form).await
}

/// A refresh of the public third-party client.
pub async fn refresh(fx: &Fixture, client: &DynamicClient, refresh_token: &str) -> Reply {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client.client_id.as_str()),
    ];
    fx.post_form("/oauth/token", None, &form).await
}
