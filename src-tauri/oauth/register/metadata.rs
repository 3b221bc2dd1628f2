//! RFC 7591 client metadata: read from a registration (or RFC 7592 update) request and
//! checked as strictly as the admin API checks a product's web client (redirect URIs by
//! `domain::redirect`'s rules, names as `admin::clean_name`, emails as users' emails), plus
//! open registration's narrower rules. Unknown members are ignored (RFC 7591 §2).

use crate::domain::{redirect, scope};
use crate::error::OAuthError;
use crate::store::clients::{ApplicationType, TokenAuthMethod};
use crate::store::registration::RegisteredClient;
use crate::store::{from_json_list, StoreError};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// At most this many redirect URIs, contacts and scopes per client.
const MAX_REDIRECT_URIS: usize = 20;
const MAX_CONTACTS: usize = 10;
const MAX_SCOPES: usize = 50;
/// The longest `logo_uri`, `client_uri`, `policy_uri`, `tos_uri`.
const MAX_URL_LEN: usize = 2000;
/// The grant types a registered client may list; it must list `authorization_code`.
const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];
/// The token endpoint auth methods a registered client may use.
const AUTH_METHODS: [TokenAuthMethod; 3] = [
    TokenAuthMethod::None,
    TokenAuthMethod::ClientSecretBasic,
    TokenAuthMethod::ClientSecretPost,
];

/// A registration's metadata, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub redirect_uris: Vec<String>,
    pub auth_method: TokenAuthMethod,
    pub application_type: ApplicationType,
    /// The registered scopes (set by [`Metadata::set_scopes`] once they are decided).
    pub scopes: Vec<String>,
    /// Everything else, stored as the client's `metadata` column and echoed back.
    pub described: Described,
}

/// The descriptive members (the `clients.metadata` JSON object).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Described {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub response_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// The registered scopes, space-separated.
    #[serde(default)]
    pub scope: String,
}

/// 400 `invalid_client_metadata`.
pub fn invalid_metadata(description: impl Into<String>) -> OAuthError {
    OAuthError::new(
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        description,
    )
}

/// 400 `invalid_redirect_uri`.
pub fn invalid_redirect(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_redirect_uri", description)
}

/// Reads and checks the members of a request body; also returns the scopes it asks for
/// (`scope`), if any, which the caller checks against what it may have.
pub fn parse(body: &Map<String, Value>) -> Result<(Metadata, Option<Vec<String>>), OAuthError> {
    let application_type = match text(body, "application_type")? {
        None => ApplicationType::Web,
        Some(t) => ApplicationType::parse(&t)
            .ok_or_else(|| invalid_metadata("application_type must be web or native"))?,
    };
    let metadata = Metadata {
        redirect_uris: redirect_uris(body, application_type)?,
        auth_method: auth_method(body)?,
        application_type,
        scopes: Vec::new(),
        described: Described {
            client_name: label(body, "client_name")?,
            logo_uri: web_url(body, "logo_uri")?,
            client_uri: web_url(body, "client_uri")?,
            policy_uri: web_url(body, "policy_uri")?,
            tos_uri: web_url(body, "tos_uri")?,
            contacts: contacts(body)?,
            grant_types: grant_types(body)?,
            response_types: response_types(body)?,
            software_id: label(body, "software_id")?,
            software_version: label(body, "software_version")?,
            scope: String::new(),
        },
    };
    let scopes = match text(body, "scope")? {
        None => None,
        Some(raw) => Some(scope::parse(&raw).map_err(invalid_metadata)?),
    };
    if scopes.as_ref().is_some_and(|s| s.len() > MAX_SCOPES) {
        return Err(invalid_metadata(format!(
            "scope: at most {MAX_SCOPES} scopes"
        )));
    }
    Ok((metadata, scopes))
}

impl Metadata {
    /// Sets the registered scopes (and the `scope` member).
    pub fn set_scopes(&mut self, scopes: Vec<String>) {
        self.described.scope = scope::join(&scopes);
        self.scopes = scopes;
    }

    /// The `clients.metadata` column.
    pub fn stored_json(&self) -> String {
        serde_json::to_string(&self.described).unwrap_or_else(|_| "{}".into())
    }

    /// The metadata as registered, as RFC 7591 §3.2.1 answers it.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut out = match serde_json::to_value(&self.described) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        out.insert("redirect_uris".into(), self.redirect_uris.clone().into());
        out.insert(
            "token_endpoint_auth_method".into(),
            self.auth_method.as_str().into(),
        );
        out.insert(
            "application_type".into(),
            self.application_type.as_str().into(),
        );
        out
    }

    /// A registered client's metadata, from its row and redirect URIs.
    pub fn from_stored(
        row: &RegisteredClient,
        redirect_uris: Vec<String>,
    ) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("dynamic client {what}"));
        let auth_method = row
            .token_endpoint_auth_method
            .as_deref()
            .and_then(TokenAuthMethod::parse)
            .ok_or_else(|| corrupt("auth method"))?;
        let application_type =
            ApplicationType::parse(&row.application_type).ok_or_else(|| corrupt("type"))?;
        let described: Described = match &row.metadata {
            Some(m) => serde_json::from_str(m).map_err(|_| corrupt("metadata"))?,
            None => Described::default(),
        };
        let mut out = Metadata {
            redirect_uris,
            auth_method,
            application_type,
            scopes: Vec::new(),
            described,
        };
        out.set_scopes(from_json_list(&row.scopes));
        Ok(out)
    }
}

/// Open registration admits only public clients (PKCE) whose redirect URIs are https or
/// loopback http: no private-use schemes.
pub fn check_open(m: &Metadata) -> Result<(), OAuthError> {
    if m.auth_method != TokenAuthMethod::None {
        return Err(invalid_metadata(
            "open registration admits only public clients: token_endpoint_auth_method none \
             (PKCE); ask the administrator for an initial access token",
        ));
    }
    for uri in &m.redirect_uris {
        if !uri.starts_with("https://") && !uri.starts_with("http://") {
            return Err(invalid_redirect(format!(
                "{uri:?}: open registration admits only https and loopback http redirect URIs"
            )));
        }
    }
    Ok(())
}

/// The scopes a client registers: those it asks for, each allowed by `allows`, or when it
/// asks for none, `default`.
pub fn decide_scopes(
    requested: Option<Vec<String>>,
    default: &[String],
    allows: impl Fn(&str) -> bool,
    refusal: &str,
) -> Result<Vec<String>, OAuthError> {
    let scopes = requested.unwrap_or_else(|| default.to_vec());
    match scopes.iter().find(|s| !allows(s)) {
        Some(s) => Err(invalid_metadata(format!("scope {s:?} {refusal}"))),
        None => Ok(scopes),
    }
}

/// A string member; absent or `null` is `None`, any other type a refusal.
fn text(body: &Map<String, Value>, name: &str) -> Result<Option<String>, OAuthError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid_metadata(format!("{name} must be a string"))),
    }
}

/// An array-of-strings member; absent or `null` is `None`. Repeats are dropped.
fn list(body: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, OAuthError> {
    let items = match body.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(invalid_metadata(format!(
                "{name} must be an array of strings"
            )))
        }
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let s = item
            .as_str()
            .ok_or_else(|| invalid_metadata(format!("{name} must be an array of strings")))?;
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(Some(out))
}

fn redirect_uris(
    body: &Map<String, Value>,
    app_type: ApplicationType,
) -> Result<Vec<String>, OAuthError> {
    let uris = list(body, "redirect_uris")
        .map_err(|e| invalid_redirect(e.description))?
        .unwrap_or_default();
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid_redirect(format!(
            "redirect_uris must list 1 to {MAX_REDIRECT_URIS} URIs"
        )));
    }
    for uri in &uris {
        redirect::validate_registration(uri, app_type)
            .map_err(|why| invalid_redirect(format!("redirect_uris: {uri:?} {why}")))?;
    }
    Ok(uris)
}

/// RFC 7591 §2: `client_secret_basic` when absent.
fn auth_method(body: &Map<String, Value>) -> Result<TokenAuthMethod, OAuthError> {
    let Some(m) = text(body, "token_endpoint_auth_method")? else {
        return Ok(TokenAuthMethod::ClientSecretBasic);
    };
    TokenAuthMethod::parse(&m)
        .filter(|m| AUTH_METHODS.contains(m))
        .ok_or_else(|| {
            invalid_metadata(
                "token_endpoint_auth_method must be none, client_secret_basic or \
                 client_secret_post",
            )
        })
}

/// A subset of [`GRANT_TYPES`] with `authorization_code`; that alone when absent.
fn grant_types(body: &Map<String, Value>) -> Result<Vec<String>, OAuthError> {
    let grants = list(body, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grants.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        return Err(invalid_metadata(format!(
            "grant_types: {g:?} is not supported (authorization_code, refresh_token)"
        )));
    }
    if !grants.iter().any(|g| g == "authorization_code") {
        return Err(invalid_metadata(
            "grant_types must include authorization_code",
        ));
    }
    Ok(grants)
}

/// Exactly `["code"]` (the default).
fn response_types(body: &Map<String, Value>) -> Result<Vec<String>, OAuthError> {
    let types = list(body, "response_types")?.unwrap_or_else(|| vec!["code".into()]);
    if types != ["code"] {
        return Err(invalid_metadata("response_types must be [\"code\"]"));
    }
    Ok(types)
}

/// Plain text of at most 200 characters (`client_name`, `software_id`, `software_version`).
fn label(body: &Map<String, Value>, name: &str) -> Result<Option<String>, OAuthError> {
    text(body, name)?
        .map(|raw| crate::admin::clean_name(name, &raw).map_err(|e| invalid_metadata(e.message)))
        .transpose()
}

/// An absolute https URL (http only on a loopback host), without credentials or fragment.
fn web_url(body: &Map<String, Value>, name: &str) -> Result<Option<String>, OAuthError> {
    let Some(raw) = text(body, name)? else {
        return Ok(None);
    };
    let refused = || {
        invalid_metadata(format!(
            "{name} must be an https URL (http only on a loopback host) of at most \
             {MAX_URL_LEN} characters, without credentials or fragment"
        ))
    };
    let url = url::Url::parse(&raw).map_err(|_| refused())?;
    let scheme_ok = match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(host)) => redirect::is_loopback(&host),
        _ => false,
    };
    let clean = url.username().is_empty() && url.password().is_none() && !raw.contains('#');
    if !scheme_ok || !clean || raw.len() > MAX_URL_LEN {
        return Err(refused());
    }
    Ok(Some(raw))
}

/// At most [`MAX_CONTACTS`] email addresses.
fn contacts(body: &Map<String, Value>) -> Result<Vec<String>, OAuthError> {
    let contacts = list(body, "contacts")?.unwrap_or_default();
    if contacts.len() > MAX_CONTACTS {
        return Err(invalid_metadata(format!(
            "contacts: at most {MAX_CONTACTS} email addresses"
        )));
    }
    contacts
        .iter()
        .map(|c| {
            crate::admin::validate_email(c)
                .map_err(|_| invalid_metadata(format!("contacts: {c:?} is not an email address")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(v: Value) -> Result<(Metadata, Option<Vec<String>>), OAuthError> {
        parse(v.as_object().expect("object"))
    }

    fn error_of(v: Value) -> &'static str {
        parsed(v).expect_err("refused").error
    }

    #[test]
    fn defaults_follow_rfc_7591() {
        let (m, scopes) = parsed(json!({"redirect_uris": ["https://a.example/cb"]})).unwrap();
        assert_eq!(m.auth_method, TokenAuthMethod::ClientSecretBasic);
        assert_eq!(m.application_type, ApplicationType::Web);
        assert_eq!(m.described.grant_types, ["authorization_code"]);
        assert_eq!(m.described.response_types, ["code"]);
        assert_eq!(scopes, None);
    }

    #[test]
    fn bad_members_get_the_right_error() {
        let uri = |u: &str| json!({"redirect_uris": [u], "token_endpoint_auth_method": "none"});
        for bad in [
            "http://app.example/cb",
            "https://app.example/cb#f",
            "com.example.app:/cb",
            "/cb",
        ] {
            assert_eq!(error_of(uri(bad)), "invalid_redirect_uri", "{bad}");
        }
        assert_eq!(error_of(json!({})), "invalid_redirect_uri");
        assert_eq!(
            error_of(json!({"redirect_uris": "x"})),
            "invalid_redirect_uri"
        );
        let with = |k: &str, v: Value| {
            let mut b = json!({"redirect_uris": ["https://a.example/cb"]});
            b[k] = v;
            error_of(b)
        };
        let meta = "invalid_client_metadata";
        assert_eq!(
            with("token_endpoint_auth_method", json!("private_key_jwt")),
            meta
        );
        assert_eq!(with("response_types", json!(["token"])), meta);
        assert_eq!(with("grant_types", json!(["refresh_token"])), meta);
        assert_eq!(with("grant_types", json!(["client_credentials"])), meta);
        assert_eq!(with("client_name", json!("x".repeat(201))), meta);
        assert_eq!(with("client_name", json!("a\u{7}b")), meta);
        assert_eq!(with("logo_uri", json!("http://cdn.example/logo.png")), meta);
        assert_eq!(with("contacts", json!(["not-an-email"])), meta);
        assert_eq!(with("scope", json!("a\"b")), meta);
        assert_eq!(with("application_type", json!("desktop")), meta);
    }

    #[test]
    fn native_apps_may_use_private_use_schemes_but_not_openly() {
        let body = json!({"redirect_uris": ["com.example.app:/cb"], "application_type": "native",
                          "token_endpoint_auth_method": "none", "unknown": 1});
        let (m, _) = parsed(body).unwrap();
        assert_eq!(check_open(&m).unwrap_err().error, "invalid_redirect_uri");
        let (m, _) = parsed(json!({"redirect_uris": ["http://127.0.0.1/cb"],
                                   "application_type": "native"}))
        .unwrap();
        assert_eq!(check_open(&m).unwrap_err().error, "invalid_client_metadata");
    }

    #[test]
    fn answers_echo_what_was_registered() {
        let (mut m, scopes) = parsed(json!({
            "redirect_uris": ["https://a.example/cb"], "client_name": " Agent ",
            "token_endpoint_auth_method": "none", "scope": "openid email",
            "contacts": ["ops@a.example"], "grant_types": ["authorization_code", "refresh_token"]
        }))
        .unwrap();
        m.set_scopes(scopes.unwrap());
        let out = Value::Object(m.to_json());
        assert_eq!(out["client_name"], "Agent");
        assert_eq!(out["scope"], "openid email");
        assert_eq!(out["token_endpoint_auth_method"], "none");
        assert!(out.get("logo_uri").is_none());
        let back: Described = serde_json::from_str(&m.stored_json()).unwrap();
        assert_eq!(back, m.described);
    }
}
