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
        "amr" => "How the user authenticated (pwd = password, mfa, otp …).",
        "acr" => "Authentication context class: how strong the sign-in was.",
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
