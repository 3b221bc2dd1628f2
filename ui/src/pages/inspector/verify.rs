//! The signature check: this issuer's discovery document and JWKS (public, fetched
//! without any token), the key picked by `kid`, and WebCrypto's RSASSA-PKCS1-v1_5 with
//! SHA-256 (RS256). The token itself never leaves the page.

use serde::Deserialize;
use serde_json::{Map, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api;

/// What discovery says about this issuer.
#[derive(Clone, Debug, PartialEq)]
pub struct Issuer {
    pub issuer: String,
    pub jwks_uri: String,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

/// `GET /.well-known/openid-configuration` on this origin.
pub async fn discover() -> Result<Issuer, String> {
    let text = get_public("/.well-known/openid-configuration").await?;
    let d: Discovery = serde_json::from_str(&text)
        .map_err(|e| format!("The discovery document is not what OIDC expects ({e})"))?;
    Ok(Issuer {
        issuer: d.issuer,
        jwks_uri: d.jwks_uri,
    })
}

/// The JWKS at `jwks_uri`, read from this origin (the console is served by the issuer;
/// when it is opened under another host name, the same path here is the same server).
pub async fn fetch_jwks(jwks_uri: &str) -> Result<Value, String> {
    let path = same_origin_path(jwks_uri);
    let text = get_public(&path).await?;
    let jwks: Value =
        serde_json::from_str(&text).map_err(|e| format!("The JWKS is not JSON ({e})"))?;
    keys_of(&jwks)?;
    Ok(jwks)
}

fn same_origin_path(uri: &str) -> String {
    match web_sys::Url::new(uri) {
        Ok(url) => format!("{}{}", url.pathname(), url.search()),
        Err(_) => uri.to_owned(),
    }
}

/// A plain GET without credentials of any kind.
async fn get_public(path: &str) -> Result<String, String> {
    let response = api::fetch(
        "GET",
        path,
        &[("Accept", "application/json".to_owned())],
        None,
    )
    .await
    .map_err(|e| e.message)?;
    let status = response.status();
    let text = api::response_text(&response).await.map_err(|e| e.message)?;
    if !(200..300).contains(&status) {
        return Err(format!("{path} answered HTTP {status}"));
    }
    Ok(text)
}

/// The keys of a JWKS (`{"keys": [...]}`) or of a single pasted JWK.
pub fn keys_of(jwks: &Value) -> Result<Vec<Map<String, Value>>, String> {
    if let Some(keys) = jwks.get("keys") {
        let list = keys
            .as_array()
            .ok_or("“keys” must be a list of JWKs")?
            .iter()
            .filter_map(|k| k.as_object().cloned())
            .collect();
        return Ok(list);
    }
    match jwks.as_object() {
        Some(one) if one.contains_key("kty") => Ok(vec![one.clone()]),
        _ => Err("A JWKS is an object with a “keys” list (or paste a single JWK)".into()),
    }
}

/// Parses a pasted JWKS (or single JWK).
pub fn parse_jwks(text: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("Not valid JSON: {e}"))?;
    keys_of(&value)?;
    Ok(value)
}

/// The key `kid` names (or the only key, when the token names none).
pub fn find_key(jwks: &Value, kid: Option<&str>) -> Option<Map<String, Value>> {
    let keys = keys_of(jwks).ok()?;
    match kid {
        Some(kid) => keys
            .into_iter()
            .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid)),
        None if keys.len() == 1 => keys.into_iter().next(),
        None => None,
    }
}

/// WebCrypto's SubtleCrypto; missing on plain-http pages other than localhost.
fn subtle() -> Option<web_sys::SubtleCrypto> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let subtle = js_sys::Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
    if subtle.is_undefined() || subtle.is_null() {
        return None;
    }
    Some(subtle.unchecked_into())
}

fn object(pairs: &[(&str, JsValue)]) -> js_sys::Object {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

/// Verifies an RS256 signature over `signing_input` with the RSA public key `jwk`.
/// `Ok(false)` means the signature does not match.
pub async fn verify_rs256(
    jwk: &Map<String, Value>,
    signing_input: &str,
    signature: &[u8],
) -> Result<bool, String> {
    let subtle = subtle().ok_or(
        "this page is not a secure context, so the browser offers no WebCrypto \
         (open the console over https or on localhost)",
    )?;
    if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
        return Err("the key is not an RSA key".into());
    }
    let (Some(n), Some(e)) = (
        jwk.get("n").and_then(Value::as_str),
        jwk.get("e").and_then(Value::as_str),
    ) else {
        return Err("the key lacks its RSA modulus (n) or exponent (e)".into());
    };
    // Only the public numbers: `use`/`key_ops`/`alg` members cannot then conflict.
    let key_data = object(&[
        ("kty", JsValue::from_str("RSA")),
        ("n", JsValue::from_str(n)),
        ("e", JsValue::from_str(e)),
        ("ext", JsValue::TRUE),
    ]);
    let algorithm = object(&[
        ("name", JsValue::from_str("RSASSA-PKCS1-v1_5")),
        (
            "hash",
            object(&[("name", JsValue::from_str("SHA-256"))]).into(),
        ),
    ]);
    let usages = js_sys::Array::of1(&JsValue::from_str("verify"));
    let promise = subtle
        .import_key_with_object("jwk", &key_data, &algorithm, false, &usages)
        .map_err(|e| format!("the key cannot be imported: {}", api::js_error_text(&e)))?;
    let key: web_sys::CryptoKey = JsFuture::from(promise)
        .await
        .map_err(|e| format!("the key cannot be imported: {}", api::js_error_text(&e)))?
        .unchecked_into();
    let verify_alg = object(&[("name", JsValue::from_str("RSASSA-PKCS1-v1_5"))]);
    let promise = subtle
        .verify_with_object_and_u8_array_and_u8_array(
            &verify_alg,
            &key,
            signature,
            signing_input.as_bytes(),
        )
        .map_err(|e| api::js_error_text(&e))?;
    let ok = JsFuture::from(promise)
        .await
        .map_err(|e| api::js_error_text(&e))?;
    Ok(ok.as_bool().unwrap_or(false))
}
