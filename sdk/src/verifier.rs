//! Resource-server side: validates RFC 9068 access tokens locally against the issuer's
//! JWKS and turns them into a [`Caller`].

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Validation;
use serde_json::{Map, Value};

use crate::dpop::{check_proof, ProofTarget, ReplayCache};
use crate::error::{Error, InsufficientAuthentication, TokenRejection};
use crate::jwks::{verify_jws, JwksCache, JwksSource, DEFAULT_REFETCH_INTERVAL};

/// Who is calling, from a verified access token.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// `sub`: the user id, or the client id for client_credentials tokens.
    pub subject: String,
    /// `client_id`: the client the token was issued to.
    pub client_id: Option<String>,
    /// `org`: the business id of the active context.
    pub org: Option<String>,
    /// `branch`: the branch id of the active context.
    pub branch: Option<String>,
    /// `scope`, split on spaces.
    pub scopes: Vec<String>,
    /// Every claim of the token.
    pub claims: Map<String, Value>,
    /// `act` (RFC 8693 §4.1): the client acting for the subject (a token exchanged by an
    /// agent or a server client), with the actors before it nested inside; `None` when
    /// the subject's own client holds the token. A malformed `act` fails verification.
    pub act: Option<crate::claims::Actor>,
}

impl Caller {
    /// Builds a caller from verified claims.
    pub(crate) fn from_claims(claims: Map<String, Value>) -> Result<Caller, TokenRejection> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
        let subject = text("sub").ok_or_else(|| TokenRejection::Claims("missing sub".into()))?;
        let scopes = text("scope")
            .map(|s| s.split_ascii_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        // A malformed actor chain is refused: it says who else holds the user's authority.
        let act = match claims.get("act") {
            None => None,
            Some(v) => Some(
                serde_json::from_value(v.clone())
                    .map_err(|_| TokenRejection::Claims("malformed act".into()))?,
            ),
        };
        Ok(Caller {
            subject,
            client_id: text("client_id"),
            org: text("org"),
            branch: text("branch"),
            scopes,
            claims,
            act,
        })
    }

    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// `amr` (RFC 8176): how the user authenticated, e.g. `["pwd", "otp", "mfa"]`
    /// (`pwd` password, `otp` authenticator-app or recovery code, `hwk` passkey, `user`
    /// user verified on the device, `mfa` more than one factor). Empty for
    /// client_credentials tokens, which have no user.
    pub fn amr(&self) -> Vec<&str> {
        match self.claims.get("amr") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The actors' client ids, outermost (the client that presented this token) first;
    /// empty when nobody acts for the subject.
    pub fn actors(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut next = self.act.as_ref();
        while let Some(actor) = next {
            out.push(actor.sub.as_str());
            next = actor.act.as_deref();
        }
        out
    }

    /// `acr`: the assurance level the sign-in reached, `aal1` (one factor) or `aal2`
    /// (two, NIST SP 800-63B).
    pub fn acr(&self) -> Option<&str> {
        self.claims.get("acr").and_then(Value::as_str)
    }

    /// `aal`: the same level as [`acr`](Self::acr) under IdentSphere's name; falls back to
    /// `acr` when the token carries only that.
    pub fn aal(&self) -> Option<&str> {
        self.claims
            .get("aal")
            .and_then(Value::as_str)
            .or_else(|| self.acr())
    }

    /// `auth_method`: the first factor, `password` or `passkey`.
    pub fn auth_method(&self) -> Option<&str> {
        self.claims.get("auth_method").and_then(Value::as_str)
    }

    /// `Ok` when the user signed in with two factors: `acr` and `aal` say `aal2` (every
    /// one of them the token carries, and at least one). Else the RFC 9470 refusal, which
    /// the `axum` feature answers with 401 and
    /// `WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values="aal2"`:
    /// `caller.require_aal2()?;` in a handler.
    pub fn require_aal2(&self) -> Result<(), InsufficientAuthentication> {
        const AAL2: &str = "aal2";
        // Fail closed: a level claim that is present but not a string counts as no level.
        let level = |name: &str| self.claims.get(name).map(|v| v.as_str().unwrap_or(""));
        let (acr, aal) = (level("acr"), level("aal"));
        let reached = acr.or(aal);
        if reached.is_some() && acr.is_none_or(|v| v == AAL2) && aal.is_none_or(|v| v == AAL2) {
            return Ok(());
        }
        Err(InsufficientAuthentication {
            required: AAL2.to_string(),
            reached: reached.filter(|v| !v.is_empty()).map(str::to_string),
        })
    }

    /// The verified claims as Tessera's access-token claim set; `None` when the token
    /// lacks one of its claims (`client_id`, `jti`, `scope`, ...: not a Tessera token).
    pub fn typed_claims(&self) -> Option<crate::claims::AccessClaims> {
        serde_json::from_value(Value::Object(self.claims.clone())).ok()
    }
}

/// Validates access tokens for one audience: `typ: at+jwt`, RS256 only (anything else is
/// refused before a key is looked up), signature against the issuer's JWKS (cached;
/// refetched when an unknown `kid` appears, at most once per 10 s), `iss`, `aud`,
/// `exp`/`nbf` with a 60 s leeway. Cheap to clone (shared).
///
/// ```no_run
/// # async fn run() -> Result<(), tessera_sdk::Error> {
/// let verifier = tessera_sdk::Verifier::new("https://id.example.com", "orders-api")?;
/// let caller = verifier.verify("eyJ...").await?;
/// assert!(caller.has_scope("orders:read"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<VerifierInner>,
}

struct VerifierInner {
    issuer: String,
    audience: String,
    jwks: Arc<JwksCache>,
    validation: Validation,
    /// DPoP proofs' `jti`s seen lately (in memory: per process).
    replays: ReplayCache,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .finish()
    }
}

/// Options for a [`Verifier`]; start with [`Verifier::builder`].
#[derive(Debug)]
pub struct VerifierBuilder {
    issuer: String,
    audience: String,
    jwks_uri: Option<String>,
    http: Option<reqwest::Client>,
    refetch_interval: Duration,
}

impl VerifierBuilder {
    /// Use this JWKS URL instead of discovering `jwks_uri` on first use.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Use this HTTP client for discovery and JWKS fetches.
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Minimum time between two JWKS fetches (default 10 s).
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// Builds the verifier; nothing is fetched until the first token arrives.
    pub fn build(self) -> Result<Verifier, Error> {
        url::Url::parse(&self.issuer)
            .map_err(|e| Error::InvalidUrl(format!("{}: {e}", self.issuer)))?;
        let http = match self.http {
            Some(http) => http,
            None => crate::discovery::default_http()?,
        };
        let source = match self.jwks_uri {
            Some(uri) => JwksSource::Uri(uri),
            None => JwksSource::Discover {
                issuer: self.issuer.clone(),
            },
        };
        let jwks = Arc::new(JwksCache::new(http, source, self.refetch_interval));
        Ok(Verifier::from_parts(&self.issuer, &self.audience, jwks))
    }
}

impl Verifier {
    /// A verifier for tokens issued by `issuer` for `audience` (the product's API
    /// audience). The JWKS location is discovered on first use.
    pub fn new(issuer: &str, audience: &str) -> Result<Verifier, Error> {
        Verifier::builder(issuer, audience).build()
    }

    /// A [`VerifierBuilder`] to set the JWKS URL, HTTP client or refetch interval.
    pub fn builder(issuer: &str, audience: &str) -> VerifierBuilder {
        VerifierBuilder {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            jwks_uri: None,
            http: None,
            refetch_interval: DEFAULT_REFETCH_INTERVAL,
        }
    }

    pub(crate) fn from_parts(issuer: &str, audience: &str, jwks: Arc<JwksCache>) -> Verifier {
        let validation =
            crate::jwks::rs256_validation(issuer, audience, &["exp", "iss", "aud", "sub"]);
        Verifier {
            inner: Arc::new(VerifierInner {
                issuer: issuer.to_string(),
                audience: audience.to_string(),
                jwks,
                validation,
                replays: ReplayCache::default(),
            }),
        }
    }

    /// The issuer tokens must come from.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The audience tokens must name.
    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    /// Verifies an access token presented as a bearer token (the bare JWT, without
    /// `Bearer `). A DPoP-bound token (`cnf.jkt`) is refused: it needs
    /// [`Verifier::verify_dpop`].
    pub async fn verify(&self, token: &str) -> Result<Caller, TokenRejection> {
        let caller = self.verify_signed(token).await?;
        if caller.claims.contains_key("cnf") {
            return Err(TokenRejection::Dpop(
                "the token is DPoP-bound: present it with Authorization: DPoP and a proof".into(),
            ));
        }
        Ok(caller)
    }

    /// Verifies a DPoP-bound token (`Authorization: DPoP <token>`, RFC 9449 §7) with the
    /// request's `DPoP` header `proof`: by the token's key (`cnf.jkt`), for `method` and
    /// `url` (the URL the client called, as it named it; query ignored), `ath` of this
    /// token, `iat` within ±60 s, and a `jti` not seen in the last two minutes. Replays are
    /// remembered in this process's memory only: behind several processes or hosts, each
    /// checks its own.
    pub async fn verify_dpop(
        &self,
        token: &str,
        proof: Option<&str>,
        method: &str,
        url: &str,
    ) -> Result<Caller, TokenRejection> {
        let caller = self.verify_signed(token).await?;
        let jkt = caller
            .claims
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                TokenRejection::Dpop("the token is not DPoP-bound: present it as Bearer".into())
            })?;
        let proof = proof.ok_or_else(|| TokenRejection::Dpop("a DPoP proof is required".into()))?;
        let target = ProofTarget {
            method,
            url,
            access_token: token,
            jkt,
        };
        check_proof(proof, &target, &self.inner.replays)?;
        Ok(caller)
    }

    async fn verify_signed(&self, token: &str) -> Result<Caller, TokenRejection> {
        let claims = verify_jws(
            &self.inner.jwks,
            token,
            Some("at+jwt"),
            &self.inner.validation,
        )
        .await?;
        Caller::from_claims(claims)
    }

    /// Verifies the bearer token of an `Authorization` header value.
    pub async fn verify_authorization(
        &self,
        header: Option<&str>,
    ) -> Result<Caller, TokenRejection> {
        let token = header
            .and_then(bearer_token)
            .ok_or(TokenRejection::Missing)?;
        self.verify(token).await
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
/// The token of an `Authorization: DPoP <token>` header value.
pub(crate) fn dpop_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("dpop") && !token.is_empty()).then_some(token)
}

pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn caller(extra: Value) -> Caller {
        let mut claims = json!({"sub": "user-1", "scope": "openid"});
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let Value::Object(map) = claims else {
            unreachable!()
        };
        Caller::from_claims(map).unwrap()
    }

    #[test]
    fn reads_amr_acr_aal_and_auth_method() {
        let c = caller(json!({
            "amr": ["pwd", "otp", "mfa"], "acr": "aal2", "aal": "aal2", "auth_method": "password"
        }));
        assert_eq!(c.amr(), ["pwd", "otp", "mfa"]);
        assert_eq!((c.acr(), c.aal()), (Some("aal2"), Some("aal2")));
        assert_eq!(c.auth_method(), Some("password"));

        let service = caller(json!({}));
        assert!(service.amr().is_empty());
        assert_eq!(
            (service.acr(), service.aal(), service.auth_method()),
            (None, None, None)
        );
        // `aal` falls back to `acr`.
        assert_eq!(caller(json!({"acr": "aal1"})).aal(), Some("aal1"));
        // A malformed amr is no factor at all.
        assert!(caller(json!({"amr": "pwd"})).amr().is_empty());
    }

    #[test]
    fn reads_the_act_chain_outermost_first() {
        let c = caller(json!({"act": {"sub": "agt_b", "act": {"sub": "agt_a"}}}));
        assert_eq!(c.actors(), ["agt_b", "agt_a"]);
        assert_eq!(c.act.as_ref().map(|a| a.sub.as_str()), Some("agt_b"));
        assert!(caller(json!({})).act.is_none());
        assert!(caller(json!({})).actors().is_empty());
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("u"));
        claims.insert("act".into(), json!("agt_a"));
        assert!(
            Caller::from_claims(claims).is_err(),
            "a malformed act is refused"
        );
    }

    #[test]
    fn require_aal2_accepts_only_two_factor_sign_ins() {
        assert_eq!(
            caller(json!({"acr": "aal2", "aal": "aal2"})).require_aal2(),
            Ok(())
        );
        assert_eq!(caller(json!({"acr": "aal2"})).require_aal2(), Ok(()));
        assert_eq!(caller(json!({"aal": "aal2"})).require_aal2(), Ok(()));

        let refused = caller(json!({"acr": "aal1", "aal": "aal1", "amr": ["pwd"]}))
            .require_aal2()
            .unwrap_err();
        assert_eq!(refused.required, "aal2");
        assert_eq!(refused.reached.as_deref(), Some("aal1"));
        assert!(refused.to_string().contains("aal2"), "{refused}");
        assert!(refused.to_string().contains("aal1"), "{refused}");

        // No level at all (a service token), disagreeing claims, a non-string level.
        let none = caller(json!({})).require_aal2().unwrap_err();
        assert_eq!(none.reached, None);
        assert!(none.to_string().contains("no assurance level"), "{none}");
        assert!(caller(json!({"acr": "aal2", "aal": "aal1"}))
            .require_aal2()
            .is_err());
        assert!(caller(json!({"acr": "aal1", "aal": "aal2"}))
            .require_aal2()
            .is_err());
        assert!(caller(json!({"acr": ["aal2"]})).require_aal2().is_err());
        assert!(caller(json!({"acr": "AAL2"})).require_aal2().is_err());
        // `mfa` in amr is not enough: the level claims decide.
        assert!(caller(json!({"amr": ["pwd", "otp", "mfa"]}))
            .require_aal2()
            .is_err());
    }
}
