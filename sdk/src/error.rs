//! The one error type of the SDK: every refusal is a variant a caller can match on.

/// Everything that can go wrong in the SDK.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A URL given to the SDK (issuer, redirect URI, callback URL) does not parse.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The HTTP request to the issuer failed (connection, TLS, timeout, body).
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// A private key given for `private_key_jwt` cannot be read or cannot sign.
    #[error("invalid private key: {0}")]
    InvalidKey(String),
    /// The issuer answered something the SDK cannot use (bad JSON, unexpected status).
    #[error("unexpected response from the issuer: {0}")]
    UnexpectedResponse(String),
    /// The discovery document names another issuer than the one asked for.
    #[error("discovery issuer mismatch: expected {expected}, got {actual}")]
    IssuerMismatch {
        /// The issuer the SDK was configured with.
        expected: String,
        /// The issuer the discovery document (or callback `iss`) named.
        actual: String,
    },
    /// The callback's `state` is missing or differs from the one sent: possible CSRF.
    #[error("state mismatch in the authorization callback")]
    StateMismatch,
    /// The callback carries neither `code` nor `error`.
    #[error("the authorization callback carries no code")]
    MissingCode,
    /// The authorization server answered with an OAuth error (callback or token endpoint).
    #[error("{error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// The OAuth error code, e.g. `access_denied`, `invalid_grant`.
        error: String,
        /// `error_description`, when sent.
        description: Option<String>,
    },
    /// The ID token failed verification (signature, `iss`, `aud`, `exp`, ...).
    #[error("ID token rejected: {0}")]
    InvalidIdToken(String),
    /// The ID token's `nonce` differs from the one sent with the login request.
    #[error("nonce mismatch in the ID token")]
    NonceMismatch,
    /// An access token failed verification; see [`TokenRejection`].
    #[error("access token rejected: {0}")]
    InvalidToken(#[from] TokenRejection),
    /// The access token expired and the session holds no refresh token.
    #[error("the session expired and cannot be refreshed")]
    SessionExpired,
    /// The first-party auth API (`/v1/auth/*`, [`crate::AuthApi`]) refused: the `/v1`
    /// envelope's `code` (`invalid_credentials`, `rate_limited`, `email_taken`,
    /// `registration_closed`, `invalid_code`, `invalid_mfa_token`, `invalid_grant`, ...).
    #[error("{status} {code}: {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The envelope's `error.code`.
        code: String,
        /// The envelope's `error.message`.
        message: String,
        /// `Retry-After` seconds (429, 503).
        retry_after: Option<u64>,
    },
    /// `switch_branch`: the user holds no role in that branch (`invalid_scope` /
    /// `access_denied`); the session is unchanged.
    #[error("branch {branch} refused: {error}")]
    BranchRefused {
        /// The branch id asked for.
        branch: String,
        /// The OAuth error code the issuer answered.
        error: String,
    },
}

impl Error {
    /// The OAuth error code when the issuer refused with one (`invalid_grant`, ...).
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Error::OAuth { error, .. } | Error::BranchRefused { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Why an access token was refused by the [`Verifier`](crate::Verifier).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRejection {
    /// No bearer token was presented.
    #[error("missing bearer token")]
    Missing,
    /// Not a compact JWS, or its header is not valid JSON.
    #[error("malformed token")]
    Malformed,
    /// `alg` is not RS256 (`none`, HS256, ... are refused before any key is used).
    #[error("algorithm {0} not accepted")]
    Algorithm(String),
    /// The header's `typ` is not `at+jwt` (RFC 9068).
    #[error("typ must be at+jwt")]
    Type,
    /// No key with this `kid` in the issuer's JWKS (even after a refetch).
    #[error("unknown signing key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad signature")]
    Signature,
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("wrong issuer")]
    Issuer,
    /// `aud` does not contain the configured audience.
    #[error("wrong audience")]
    Audience,
    /// A required claim is missing or has the wrong type.
    #[error("invalid claims: {0}")]
    Claims(String),
    /// The issuer's keys could not be fetched.
    #[error("cannot fetch the issuer's keys: {0}")]
    KeysUnavailable(String),
    /// A DPoP-bound token (`cnf.jkt`) without a valid proof by its key for this request,
    /// or presented with the wrong scheme (RFC 9449 §7).
    #[error("DPoP: {0}")]
    Dpop(String),
}

/// The token is valid but its sign-in was weaker than required: RFC 9470's
/// `insufficient_user_authentication`. Returned by [`Caller::require_aal2`](crate::Caller::require_aal2);
/// with the `axum` feature `?` turns it into a 401 whose `WWW-Authenticate` challenge
/// names the level to reach, so the client can sign the user in again with
/// `acr_values=aal2` (step-up).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "insufficient user authentication: {required} (a second factor) is required, the sign-in reached {}",
    reached.as_deref().unwrap_or("no assurance level")
)]
pub struct InsufficientAuthentication {
    /// The level the resource requires (`aal2`); sent back as `acr_values`.
    pub required: String,
    /// The token's `acr` (or `aal`), when it has one.
    pub reached: Option<String>,
}
