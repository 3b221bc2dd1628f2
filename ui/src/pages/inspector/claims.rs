//! What each header member and claim means, in plain language, and what kind of token a
//! claim set is.

use serde_json::{Map, Value};

/// Claims that hold Unix-second times.
pub const TIME_CLAIMS: &[&str] = &["exp", "iat", "nbf", "auth_time", "updated_at"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An OAuth access token (RFC 9068 JWT profile).
    Access,
    /// An OpenID Connect ID token.
    Id,
    /// Some other JWT.
    Other,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Access => "Access token",
            Kind::Id => "ID token",
            Kind::Other => "JWT",
        }
    }

    pub fn blurb(self) -> &'static str {
        match self {
            Kind::Access => {
                "Sent by an app to an API (a resource server) as proof of what it may do."
            }
            Kind::Id => "Tells the app that asked for it who signed in; APIs must not accept it.",
            Kind::Other => "Neither an access token nor an ID token as Tessera issues them.",
        }
    }
}

/// `typ` says `at+jwt`, or the claims look like an access token (`scope`/`client_id`);
/// `nonce`/`auth_time`/`azp`/`amr` without those mean an ID token.
pub fn kind(header: Option<&Map<String, Value>>, claims: &Map<String, Value>) -> Kind {
    let typ = header
        .and_then(|h| h.get("typ"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if is_at_jwt(typ) || claims.contains_key("scope") || claims.contains_key("client_id") {
        Kind::Access
    } else if ["nonce", "auth_time", "azp", "amr", "at_hash"]
        .iter()
        .any(|c| claims.contains_key(*c))
    {
        Kind::Id
    } else {
        Kind::Other
    }
}

/// `at+jwt` or its media-type spelling, any case (RFC 9068 §4).
pub fn is_at_jwt(typ: &str) -> bool {
    let t = typ.to_ascii_lowercase();
    t == "at+jwt" || t == "application/at+jwt"
}

/// The header members in reading order.
pub fn header_order(header: &Map<String, Value>) -> Vec<(String, Value)> {
    sorted(
        header,
        &[
            "alg", "typ", "kid", "cty", "jku", "x5u", "x5t", "x5t#S256", "crit",
        ],
    )
}

/// The claims in reading order: who, for whom, what, when, which.
pub fn claim_order(claims: &Map<String, Value>) -> Vec<(String, Value)> {
    sorted(
        claims,
        &[
            "iss",
            "sub",
            "aud",
            "client_id",
            "azp",
            "scope",
            "org",
            "branch",
            "groups",
            "act",
            "may_act",
            "exp",
            "nbf",
            "iat",
            "auth_time",
            "jti",
            "sid",
            "nonce",
            "amr",
            "acr",
            "aal",
            "auth_method",
            "email",
            "email_verified",
            "name",
            "given_name",
            "family_name",
            "locale",
        ],
    )
}

fn sorted(map: &Map<String, Value>, first: &[&str]) -> Vec<(String, Value)> {
    let mut items: Vec<(String, Value)> = map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    items.sort_by_key(|(k, _)| {
        (
            first.iter().position(|f| f == k).unwrap_or(first.len()),
            k.clone(),
        )
    });
    items
}

/// What a header member means.
pub fn header_meaning(name: &str) -> &'static str {
    match name {
        "alg" => {
            "Signature algorithm. Tessera signs with RS256 (RSA with SHA-256); a resource \
             server accepts only the algorithm it expects, and never “none” (unsigned)."
        }
        "typ" => {
            "Token type. “at+jwt” marks an OAuth access token (RFC 9068), so an ID token \
             (“JWT”) cannot be passed off as one."
        }
        "kid" => {
            "Key id: which of the issuer's published keys (its JWKS) verifies the signature. \
             After a key rotation old tokens keep naming the retired key until they expire."
        }
        "cty" => "Content type of the payload; only used for nested tokens.",
        "jku" | "x5u" => {
            "A URL pointing at keys. Resource servers ignore it and use the issuer's JWKS: \
             trusting it would let anyone supply their own key."
        }
        "x5t" | "x5t#S256" => "Thumbprint of an X.509 certificate for the signing key.",
        "crit" => "Extensions the receiver must understand, or refuse the token.",
        _ => "A header member Tessera does not set; receivers ignore members they do not know.",
    }
}

/// What a claim means (`kind` refines a few: `aud` of an ID token is the app itself).
pub fn claim_meaning(name: &str, kind: Kind) -> &'static str {
    match name {
        "iss" => {
            "Issuer: who minted the token. A resource server trusts a token only when this \
             is exactly its identity provider's issuer URL."
        }
        "sub" => {
            "Subject: who the token is about. A user id for sign-ins; the client id itself \
             for client_credentials (service-to-service) tokens."
        }
        "aud" if kind == Kind::Id => {
            "Audience: the app (client id) this ID token was issued to. Only that app may \
             use it."
        }
        "aud" => {
            "Audience: who the token is meant for. An API refuses a token whose aud is not \
             itself, so a token for one API cannot be replayed at another."
        }
        "client_id" => "The app (OAuth client) the token was issued to.",
        "azp" => "Authorized party: the app the ID token was issued to.",
        "scope" => {
            "Scopes: what the bearer may do, space-separated. An API checks that the scope \
             it needs (e.g. orders:read) is listed."
        }
        "org" => {
            "Business (organisation) id: the business whose context the token carries; set \
             when the user signed in to one of its branches."
        }
        "branch" => {
            "Branch id: the branch the user picked at sign-in (or switched to). The scopes \
             are those the user's role grants in this branch, never more."
        }
        "groups" => "Role names the user holds in the active branch.",
        "act" => {
            "Actor (token exchange): who is acting on behalf of the subject. The token is \
             delegated; an API can log or limit what the actor may do."
        }
        "may_act" => "Who is allowed to act on behalf of the subject via token exchange.",
        "exp" => "Expires: from this moment on every resource server must refuse the token.",
        "nbf" => "Not before: the token is refused until this moment.",
        "iat" => "Issued at: when the token was minted.",
        "auth_time" => {
            "When the user last actually signed in (typed a password), which can be long \
             before this token was minted: tokens are refreshed silently."
        }
        "jti" => {
            "Token id, unique per token. The audit log records it; revocation and replay \
             checks use it."
        }
        "sid" => "Session id at the identity provider; signing out ends this session.",
        "nonce" => {
            "The random value the app sent when it started the sign-in, echoed back. The \
             app checks it matches, so a stolen ID token cannot be replayed."
        }
        "amr" => {
            "Authentication methods (RFC 8176): how the user signed in, one value per \
             method; each is explained under “How the user signed in”."
        }
        "acr" => {
            "Authentication context class: how strong the sign-in was. Tessera says aal1 \
             (one factor) or aal2 (two factors), the NIST SP 800-63B assurance levels; an \
             API that needs a second factor refuses anything but aal2."
        }
        "aal" => "Authenticator assurance level: the same value as acr, under IdentSphere's name.",
        "auth_method" => "The first factor of the sign-in: password, or passkey (passwordless).",
        "at_hash" => "Hash of the access token issued with this ID token, binding the two.",
        "c_hash" => "Hash of the authorization code issued with this ID token.",
        "email" => "The user's email address (released with the email scope).",
        "email_verified" => "Whether the identity provider has verified the email address.",
        "name" => "The user's full name (released with the profile scope).",
        "given_name" => "The user's given (first) name.",
        "family_name" => "The user's family (last) name.",
        "locale" => "The user's preferred language and region.",
        "typ" => "Token type, as a claim.",
        "cnf" => "Confirmation: the key the token is bound to (proof of possession).",
        "updated_at" => "When the user's profile was last changed.",
        _ => {
            "A custom claim: not defined by the OAuth or OpenID Connect standards; its \
             meaning is up to the product that reads it."
        }
    }
}

/// The scopes of a `scope` claim (space-separated string, or a list).
pub fn scopes(claims: &Map<String, Value>) -> Option<Vec<String>> {
    match claims.get("scope")? {
        Value::String(s) => Some(s.split_whitespace().map(String::from).collect()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        ),
        _ => None,
    }
}

/// The audiences of an `aud` claim (string or list).
pub fn audiences(claims: &Map<String, Value>) -> Option<Vec<String>> {
    match claims.get("aud")? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        ),
        _ => None,
    }
}

/// A number of seconds as "4 min 12 s", "1 h 5 min", "2 d 3 h".
pub fn span(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3_599 => format!("{} min {} s", secs / 60, secs % 60),
        3_600..=86_399 => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

/// "in 4 min 12 s" / "4 min 12 s ago" relative to `now`.
pub fn relative_to(ts: i64, now: i64) -> String {
    let delta = ts - now;
    if delta == 0 {
        return "now".to_owned();
    }
    let s = span(delta.unsigned_abs());
    if delta > 0 {
        format!("in {s}")
    } else {
        format!("{s} ago")
    }
}

/// What one `amr` value (RFC 8176) means.
pub fn amr_meaning(value: &str) -> &'static str {
    match value {
        "pwd" => "Password: something the user knows.",
        "otp" => {
            "One-time code: from an authenticator app (TOTP), or one of the user's \
             single-use recovery codes."
        }
        "hwk" => "Hardware-bound key: a passkey, whose private key never leaves the device.",
        "user" => {
            "User presence and verification on the device: the passkey was unlocked with a \
             PIN or a biometric (fingerprint, face)."
        }
        "mfa" => "Multiple factors: more than one of the methods above was used.",
        "swk" => "Software-secured key.",
        "sms" => "A code sent by text message.",
        "otp_email" | "email" => "A code or link sent by email.",
        "fpt" | "face" | "iris" | "vbm" | "retina" => "A biometric.",
        "pin" => "A PIN.",
        "kba" => "Knowledge-based questions.",
        "sc" => "A smart card.",
        _ => "A method Tessera does not issue; its meaning is up to whoever minted the token.",
    }
}

/// What an `acr` / `aal` value means.
pub fn level_meaning(value: &str) -> &'static str {
    match value {
        "aal1" => {
            "aal1: one factor (NIST SP 800-63B). Enough for everyday use; an API demanding a \
             second factor refuses it and the app asks for acr_values=aal2 (step-up)."
        }
        "aal2" => {
            "aal2: two factors of different kinds (NIST SP 800-63B), e.g. a password and an \
             authenticator app, or a passkey unlocked with a PIN or biometric."
        }
        "aal3" => "aal3: two factors with a hardware key resistant to impersonation.",
        _ => "A level Tessera does not issue (it says aal1 or aal2).",
    }
}

/// The strings of a claim that is a list of strings (or one string).
pub fn strings(claims: &Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the claims say anything about how the user signed in.
pub fn has_sign_in(claims: &Map<String, Value>) -> bool {
    ["amr", "acr", "aal", "auth_method"]
        .iter()
        .any(|c| claims.contains_key(*c))
}

/// The level the claims state (`acr`, else `aal`).
pub fn level(claims: &Map<String, Value>) -> Option<String> {
    ["acr", "aal"]
        .iter()
        .find_map(|c| claims.get(*c).and_then(Value::as_str))
        .map(String::from)
}

/// One sentence on how the user signed in, e.g. "Signed in with a password and an
/// authenticator app code (2 factors, aal2)."; `None` when the claims do not say.
pub fn sign_in_summary(claims: &Map<String, Value>) -> Option<String> {
    if !has_sign_in(claims) {
        return None;
    }
    let amr = strings(claims, "amr");
    let has = |m: &str| amr.iter().any(|a| a == m);
    let mut parts: Vec<String> = Vec::new();
    for m in &amr {
        let part = match m.as_str() {
            "pwd" => "a password".to_owned(),
            // A recovery code is `otp` too: the row for `otp` says so.
            "otp" => "an authenticator app code".to_owned(),
            "hwk" if has("user") => {
                "a passkey unlocked with the device's PIN or biometric".to_owned()
            }
            "hwk" => "a passkey".to_owned(),
            "user" if has("hwk") => continue,
            "user" => "verification on the device".to_owned(),
            "mfa" => continue,
            other => format!("“{other}”"),
        };
        parts.push(part);
    }
    if parts.is_empty() {
        match claims.get("auth_method").and_then(Value::as_str) {
            Some("password") => parts.push("a password".to_owned()),
            Some("passkey") => parts.push("a passkey".to_owned()),
            _ => {}
        }
    }
    let how = match parts.len() {
        0 => "Signed in".to_owned(),
        1 => format!("Signed in with {}", parts[0]),
        n => format!(
            "Signed in with {} and {}",
            parts[..n - 1].join(", "),
            parts[n - 1]
        ),
    };
    let factors = match level(claims).as_deref() {
        Some("aal1") => Some("1 factor"),
        Some("aal2") | Some("aal3") => Some("2 factors"),
        _ => None,
    };
    Some(match (factors, level(claims)) {
        (Some(f), Some(l)) => format!("{how} ({f}, {l})."),
        (None, Some(l)) => format!("{how} (level {l})."),
        _ => format!("{how}."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn summaries_name_each_factor_and_the_level() {
        let s = |v| sign_in_summary(&map(v)).unwrap();
        assert_eq!(
            s(
                json!({"amr": ["pwd", "otp", "mfa"], "acr": "aal2", "aal": "aal2", "auth_method": "password"})
            ),
            "Signed in with a password and an authenticator app code (2 factors, aal2)."
        );
        assert_eq!(
            s(json!({"amr": ["pwd"], "acr": "aal1"})),
            "Signed in with a password (1 factor, aal1)."
        );
        assert_eq!(
            s(json!({"amr": ["hwk", "user", "mfa"], "acr": "aal2", "auth_method": "passkey"})),
            "Signed in with a passkey unlocked with the device's PIN or biometric (2 factors, aal2)."
        );
        assert_eq!(
            s(json!({"amr": ["pwd", "hwk", "mfa"], "aal": "aal2"})),
            "Signed in with a password and a passkey (2 factors, aal2)."
        );
        assert_eq!(
            s(json!({"auth_method": "passkey"})),
            "Signed in with a passkey."
        );
        assert_eq!(
            s(json!({"amr": "pwd", "acr": "urn:x"})),
            "Signed in with a password (level urn:x)."
        );
        assert_eq!(
            s(json!({"amr": ["pwd", "sms", "x"]})),
            "Signed in with a password, “sms” and “x”."
        );
        assert_eq!(sign_in_summary(&map(json!({"sub": "u"}))), None);
    }

    #[test]
    fn every_value_tessera_issues_is_explained() {
        for v in ["pwd", "otp", "hwk", "user", "mfa"] {
            assert!(!amr_meaning(v).contains("does not issue"), "{v}");
        }
        assert!(amr_meaning("otp").contains("recovery code"));
        assert!(level_meaning("aal2").contains("two factors"));
        assert!(level_meaning("aal1").contains("one factor"));
        assert!(level_meaning("x").contains("does not issue"));
        for c in ["amr", "acr", "aal", "auth_method"] {
            assert!(!claim_meaning(c, Kind::Id).contains("custom claim"), "{c}");
        }
    }
}
