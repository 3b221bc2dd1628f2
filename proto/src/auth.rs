//! `/v1/auth/*`: the first-party auth API a product's own backend or app calls with its
//! web client's `client_id` (JSON in, JSON out, the `/v1` error envelope). Tokens are the
//! same JWTs as `/oauth/token` issues; in cookie mode they travel as `tessera_at` /
//! `tessera_rt` cookies instead of in the body.

use serde::{Deserialize, Serialize};

/// How tokens travel: in the body (`bearer`, default) or as HttpOnly cookies (`cookie`;
/// every write must then come from one of the product's registered origins).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Bearer,
    Cookie,
}

/// `POST /v1/auth/register`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// The product's web client id (`web_...`).
    pub client_id: String,
    /// The new account's email.
    pub email: String,
    /// The password (8 to 1024 characters, as everywhere).
    pub password: String,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The scope of the tokens (default `openid`), as at `/oauth/authorize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// `bearer` (default) or `cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
}

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The product's web client id (`web_...`).
    pub client_id: String,
    pub email: String,
    pub password: String,
    /// The scope of the tokens (default `openid`): requested ∩ what the user's roles allow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The branch to sign in to (needed when the user works in several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// `bearer` (default) or `cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
}

/// `POST /v1/auth/mfa/verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MfaVerify {
    /// The `mfa_token` of the login answer (lives 5 minutes, spent by a correct code).
    pub mfa_token: String,
    /// A 6-digit code of the authenticator app, or a recovery code.
    pub code: String,
    /// `bearer` (default) or `cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
}

/// `POST /v1/auth/refresh`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// The refresh token; in cookie mode it may be left out (the `tessera_rt` cookie).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// `bearer` (default) or `cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
}

/// `POST /v1/auth/logout` (the body is optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Logout {
    /// A refresh token of the session to end (else the caller's access token or the
    /// `tessera_rt` cookie names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The signed-in user, as the auth API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthUser {
    /// The user id (the tokens' `sub`).
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub email_verified: bool,
}

/// A sign-in's tokens. In cookie mode `access_token` and `refresh_token` are absent (they
/// are in the `tessera_at` / `tessera_rt` cookies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tokens {
    pub user: AuthUser,
    /// The access token (a JWT, RFC 9068), bearer mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The refresh token (rotating, single use), bearer mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// The granted scope.
    pub scope: String,
}

/// The login answer when a second factor is needed: post a code with the `mfa_token` to
/// `/v1/auth/mfa/verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaRequired {
    /// Always true.
    pub mfa_required: bool,
    /// Single use, 5 minutes.
    pub mfa_token: String,
    /// What the code may be: `totp`, `recovery_code`.
    pub methods: Vec<String>,
    /// Seconds the `mfa_token` lives.
    pub expires_in: i64,
}

/// `POST /v1/auth/login`'s answer: tokens, or a second factor to give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LoginAnswer {
    Mfa(MfaRequired),
    Tokens(Tokens),
}

/// The caller's sign-in, from its access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The session id (the tokens' `sid`).
    pub sid: Option<String>,
    /// `aal1` or `aal2`.
    pub aal: Option<String>,
    /// How the user signed in: `password`, `password+otp`, ...
    pub auth_method: Option<String>,
    /// Unix seconds of the sign-in.
    pub auth_time: Option<i64>,
    /// The business of the active branch, if any.
    pub org: Option<String>,
    /// The active branch, if any.
    pub branch: Option<String>,
}

/// `GET /v1/auth/session`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub user: AuthUser,
    pub session: SessionInfo,
}

/// One of the caller's live sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSession {
    pub sid: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the sign-in.
    pub auth_time: i64,
    /// Unix seconds.
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session of the token making this call.
    pub current: bool,
}

/// `GET /v1/auth/sessions`: the caller's live sessions, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSessions {
    pub sessions: Vec<UserSession>,
}

/// `POST /v1/auth/password/forgot`: answered 202 whatever the address (no account
/// probing); an account with it gets an email with a link to the hosted reset page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordForgot {
    /// The product's web client id: its name is in the email.
    pub client_id: String,
    pub email: String,
}

/// `POST /v1/auth/password/reset`: the token of the emailed link (single use, 1 hour) and
/// the new password; every session of the account ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub token: String,
    /// 8 to 1024 characters, as everywhere.
    pub password: String,
}

/// `POST /v1/auth/email/verify`: the token of the emailed verification link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmailVerify {
    pub token: String,
}
