//! A product's web client settings for every kind of app (PRODUCT.md "Kinds of apps"):
//! how it authenticates, what kind of app it is, its CORS origins, PAR and DPoP, its keys
//! for `private_key_jwt`. Checked here on create and update; a change to a secret method
//! mints a secret (shown once), a change away from one drops it.

use crate::crypto::{random_token, sha256};
use crate::error::ApiError;
use crate::store::clients::{edit, AppSettings, ApplicationType, TokenAuthMethod};
use crate::store::Tx;
use tessera_proto::products::{WebClient, WebClientSettings};

/// At most this many CORS origins per client.
const MAX_ORIGINS: usize = 20;
/// At most this many keys in an inline JWK Set, and this many bytes of it.
const MAX_KEYS: usize = 20;
const MAX_JWKS_BYTES: usize = 32 * 1024;
/// JWK members that only a private (or symmetric) key has (RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The wire shape of a web client, without its secret.
pub(super) fn wire(
    client_id: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    app: &AppSettings,
) -> WebClient {
    WebClient {
        client_id,
        client_secret: None,
        token_endpoint_auth_method: app.token_auth.as_str().into(),
        application_type: app.application_type.as_str().into(),
        redirect_uris,
        post_logout_redirect_uris,
        allowed_origins: app.allowed_origins.clone(),
        require_pushed_authorization_requests: app.require_par,
        dpop_bound_access_tokens: app.dpop_bound,
        jwks: app
            .jwks
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        jwks_uri: app.jwks_uri.clone(),
    }
}

/// `current` with the body's changes, checked field by field.
pub(super) fn merge(
    body: &WebClientSettings,
    current: &AppSettings,
) -> Result<AppSettings, ApiError> {
    let mut app = current.clone();
    if let Some(m) = &body.token_endpoint_auth_method {
        app.token_auth = TokenAuthMethod::parse(m).ok_or_else(|| {
            ApiError::invalid_field(
                "web_client.token_endpoint_auth_method",
                "one of none, client_secret_basic, client_secret_post, private_key_jwt",
            )
        })?;
    }
    if let Some(t) = &body.application_type {
        app.application_type = ApplicationType::parse(t).ok_or_else(|| {
            ApiError::invalid_field("web_client.application_type", "web or native")
        })?;
    }
    if let Some(origins) = &body.allowed_origins {
        if let Some(list) = origins {
            check_origins(list)?;
        }
        app.allowed_origins = origins.as_ref().map(|l| super::rules::dedup(l));
    }
    if let Some(on) = body.require_pushed_authorization_requests {
        app.require_par = on;
    }
    if let Some(on) = body.dpop_bound_access_tokens {
        app.dpop_bound = on;
    }
    if let Some(jwks) = &body.jwks {
        app.jwks = jwks.as_ref().map(check_jwks).transpose()?;
    }
    if let Some(uri) = &body.jwks_uri {
        app.jwks_uri = uri.as_deref().map(check_jwks_uri).transpose()?;
    }
    check_keys_for_method(&app)?;
    Ok(app)
}

/// `private_key_jwt` needs exactly one place for the client's keys (OIDC Registration:
/// `jwks` and `jwks_uri` MUST NOT both be used).
fn check_keys_for_method(app: &AppSettings) -> Result<(), ApiError> {
    let field = "web_client.jwks";
    match (app.jwks.is_some(), app.jwks_uri.is_some()) {
        (true, true) => Err(ApiError::invalid_field(
            field,
            "give jwks or jwks_uri, not both",
        )),
        (false, false) if app.token_auth == TokenAuthMethod::PrivateKeyJwt => {
            Err(ApiError::invalid_field(
                field,
                "private_key_jwt needs the client's public keys: jwks or jwks_uri",
            ))
        }
        _ => Ok(()),
    }
}

/// Each origin exactly `scheme://host[:port]` (https, or http on any host for local
/// development), without a path, as browsers send it in `Origin`.
fn check_origins(list: &[String]) -> Result<(), ApiError> {
    let field = "web_client.allowed_origins";
    if list.len() > MAX_ORIGINS {
        return Err(ApiError::invalid_field(field, "at most 20 origins"));
    }
    for o in list {
        let serialized = url::Url::parse(o)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .map(|u| u.origin().ascii_serialization());
        if serialized.as_deref() != Some(o.as_str()) {
            return Err(ApiError::invalid_field(
                field,
                format!("{o:?} is not an origin (scheme://host[:port], no path or trailing slash)"),
            ));
        }
    }
    Ok(())
}

/// A JWK Set of public keys only; stored as compact JSON.
fn check_jwks(jwks: &serde_json::Value) -> Result<String, ApiError> {
    let field = "web_client.jwks";
    let bad = |why: &str| ApiError::invalid_field(field, why.to_string());
    let keys = jwks
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or_else(|| bad("a JWK Set: {\"keys\": [...]}"))?;
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(bad("1 to 20 keys"));
    }
    for key in keys {
        let obj = key
            .as_object()
            .ok_or_else(|| bad("each key is a JSON object"))?;
        match obj.get("kty").and_then(|k| k.as_str()) {
            Some("RSA" | "EC" | "OKP") => {}
            _ => return Err(bad("each key's kty is RSA, EC or OKP")),
        }
        if PRIVATE_MEMBERS.iter().any(|m| obj.contains_key(*m)) {
            return Err(bad("public keys only: a key has private members"));
        }
    }
    let text = jwks.to_string();
    if text.len() > MAX_JWKS_BYTES {
        return Err(bad("at most 32 KiB"));
    }
    Ok(text)
}

/// An https URL (http only on a loopback host, for local development), no fragment or
/// credentials.
fn check_jwks_uri(uri: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::invalid_field(
            "web_client.jwks_uri",
            "an https URL (http only on a loopback host), without credentials or fragment",
        )
    };
    if uri.len() > 2000 {
        return Err(bad());
    }
    let u = url::Url::parse(uri).map_err(|_| bad())?;
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let scheme_ok = u.scheme() == "https" || (u.scheme() == "http" && loopback);
    if !scheme_ok
        || u.host().is_none()
        || u.fragment().is_some()
        || !u.username().is_empty()
        || u.password().is_some()
    {
        return Err(bad());
    }
    Ok(uri.to_string())
}

/// Stores the web client's settings; returns the new secret when the client moved to a
/// secret method from one without (shown once), and drops the secret when it moved away.
pub(super) async fn store(
    tx: &mut Tx,
    client_id: &str,
    old: &AppSettings,
    new: &AppSettings,
    now: i64,
) -> Result<Option<String>, ApiError> {
    let (secret, hash) = match (old.token_auth.uses_secret(), new.token_auth.uses_secret()) {
        (false, true) => {
            let secret = random_token(32);
            let hash = sha256(&secret);
            (Some(secret), Some(Some(hash)))
        }
        (true, false) => (None, Some(None)),
        _ => (None, None),
    };
    let hash_ref = hash.as_ref().map(|h| h.as_ref().map(|h| h.as_slice()));
    edit::set_app_settings(tx, client_id, new, hash_ref, now).await?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::clients::ClientKind;

    fn settings(json: serde_json::Value) -> WebClientSettings {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn origins_must_be_bare() {
        assert!(check_origins(&["https://app.example".into()]).is_ok());
        assert!(check_origins(&["http://localhost:5173".into()]).is_ok());
        for bad in [
            "https://app.example/",
            "https://app.example/x",
            "app.example",
            "ftp://a.b",
        ] {
            assert!(check_origins(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn private_key_jwt_needs_public_keys_in_one_place() {
        let web = AppSettings::default_for(ClientKind::Web);
        let m = settings(serde_json::json!({"token_endpoint_auth_method": "private_key_jwt"}));
        assert!(merge(&m, &web).is_err());
        let key = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "a", "y": "b"});
        let ok = settings(serde_json::json!({
            "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [key]}
        }));
        assert_eq!(
            merge(&ok, &web).unwrap().token_auth,
            TokenAuthMethod::PrivateKeyJwt
        );
        let both = settings(serde_json::json!({
            "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [key]},
            "jwks_uri": "https://app.example/jwks"
        }));
        assert!(merge(&both, &web).is_err());
        let private = serde_json::json!({"keys": [{"kty": "EC", "d": "secret"}]});
        assert!(check_jwks(&private).is_err());
        assert!(check_jwks_uri("http://app.example/jwks").is_err());
        assert!(check_jwks_uri("http://127.0.0.1:8080/jwks").is_ok());
    }
}
