//! A small async client for Tessera's first-party auth API (`/v1/auth/*`) in bearer mode,
//! for mobile apps and service backends that sign users in without an OAuth library: the
//! tokens are the same JWTs as the code flow's (verify them with [`crate::Verifier`]).
//! Every refusal is [`Error::Api`] with the `/v1` envelope's `code`.
//!
//! ```no_run
//! # async fn run() -> Result<(), tessera_sdk::Error> {
//! use tessera_sdk::{AuthApi, Error, LoginOutcome};
//!
//! let api = AuthApi::new("https://id.example.com", "web_123")?;
//! let tokens = match api.login("ann@example.com", "correct horse", None, None).await {
//!     Ok(LoginOutcome::Tokens(t)) => t,
//!     Ok(LoginOutcome::MfaRequired(m)) => api.mfa_verify(&m.mfa_token, "123456").await?,
//!     Err(Error::Api { code, .. }) if code == "invalid_credentials" => return Ok(()),
//!     Err(e) => return Err(e),
//! };
//! let access = tokens.access_token.clone().unwrap_or_default();
//! let me = api.session(&access).await?;
//! println!("{} in session {:?}", me.user.email, me.session.sid);
//! let refresh = tokens.refresh_token.clone().unwrap_or_default();
//! let rotated = api.refresh(&refresh).await?;
//! api.logout(rotated.access_token.as_deref().unwrap_or_default()).await?;
//! # Ok(()) }
//! ```

use crate::Error;
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use tessera_proto::auth::{
    Login, LoginAnswer, MfaRequired, MfaVerify, Refresh, Register, Session, Tokens, UserSessions,
};
use tessera_proto::error::ErrorEnvelope;

/// `/v1/auth/*` of one issuer, for one product's web client.
#[derive(Debug, Clone)]
pub struct AuthApi {
    http: reqwest::Client,
    issuer: String,
    client_id: String,
}

/// What a login answered.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Signed in.
    Tokens(Tokens),
    /// A second factor is needed: [`AuthApi::mfa_verify`] with its `mfa_token`.
    MfaRequired(MfaRequired),
}

impl AuthApi {
    /// A client for `issuer` (e.g. `https://id.example.com`) and the product's web
    /// `client_id`.
    pub fn new(issuer: &str, client_id: &str) -> Result<AuthApi, Error> {
        url::Url::parse(issuer).map_err(|e| Error::InvalidUrl(format!("{issuer}: {e}")))?;
        Ok(AuthApi {
            http: reqwest::Client::new(),
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
        })
    }

    /// The same client with your own `reqwest::Client` (proxies, timeouts).
    pub fn with_http(mut self, http: reqwest::Client) -> AuthApi {
        self.http = http;
        self
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/v1/auth{path}", self.issuer))
    }

    /// `POST /v1/auth/register`: a new account, signed in (products with sign-up on).
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        name: Option<&str>,
    ) -> Result<Tokens, Error> {
        let body = Register {
            client_id: self.client_id.clone(),
            email: email.into(),
            password: password.into(),
            name: name.map(String::from),
            scope: None,
            mode: None,
        };
        json(self.request(Method::POST, "/register").json(&body)).await
    }

    /// `POST /v1/auth/login` with an optional `scope` and `branch`.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        scope: Option<&str>,
        branch: Option<&str>,
    ) -> Result<LoginOutcome, Error> {
        let body = Login {
            client_id: self.client_id.clone(),
            email: email.into(),
            password: password.into(),
            scope: scope.map(String::from),
            branch: branch.map(String::from),
            mode: None,
        };
        let answer: LoginAnswer = json(self.request(Method::POST, "/login").json(&body)).await?;
        Ok(match answer {
            LoginAnswer::Tokens(t) => LoginOutcome::Tokens(t),
            LoginAnswer::Mfa(m) => LoginOutcome::MfaRequired(m),
        })
    }

    /// `POST /v1/auth/mfa/verify`: a TOTP or recovery code for a login's `mfa_token`.
    pub async fn mfa_verify(&self, mfa_token: &str, code: &str) -> Result<Tokens, Error> {
        let body = MfaVerify {
            mfa_token: mfa_token.into(),
            code: code.into(),
            mode: None,
        };
        json(self.request(Method::POST, "/mfa/verify").json(&body)).await
    }

    /// `POST /v1/auth/refresh`: rotated tokens; the old refresh token is spent (using it
    /// again revokes the whole sign-in).
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, Error> {
        let body = Refresh {
            refresh_token: Some(refresh_token.into()),
            mode: None,
        };
        json(self.request(Method::POST, "/refresh").json(&body)).await
    }

    /// `POST /v1/auth/logout`: ends the session of `access_token` and revokes its tokens.
    pub async fn logout(&self, access_token: &str) -> Result<(), Error> {
        let req = self
            .request(Method::POST, "/logout")
            .bearer_auth(access_token);
        empty(req).await
    }

    /// `GET /v1/auth/session`: the user and the sign-in behind `access_token`.
    pub async fn session(&self, access_token: &str) -> Result<Session, Error> {
        json(
            self.request(Method::GET, "/session")
                .bearer_auth(access_token),
        )
        .await
    }

    /// `GET /v1/auth/sessions`: the user's live sessions (the current one marked).
    pub async fn sessions(&self, access_token: &str) -> Result<UserSessions, Error> {
        json(
            self.request(Method::GET, "/sessions")
                .bearer_auth(access_token),
        )
        .await
    }

    /// `DELETE /v1/auth/sessions/{sid}`: ends one of the user's own sessions.
    pub async fn end_session(&self, access_token: &str, sid: &str) -> Result<(), Error> {
        let path = format!(
            "/sessions/{}",
            url::form_urlencoded::byte_serialize(sid.as_bytes()).collect::<String>()
        );
        empty(
            self.request(Method::DELETE, &path)
                .bearer_auth(access_token),
        )
        .await
    }
}

/// The JSON answer of a successful call, else [`Error::Api`].
async fn json<T: DeserializeOwned>(req: RequestBuilder) -> Result<T, Error> {
    let resp = checked(req.send().await?).await?;
    let text = resp.text().await?;
    serde_json::from_str(&text).map_err(|e| Error::UnexpectedResponse(format!("{e}: {text}")))
}

async fn empty(req: RequestBuilder) -> Result<(), Error> {
    checked(req.send().await?).await.map(drop)
}

/// The response when it is a success; a refusal becomes [`Error::Api`].
async fn checked(resp: Response) -> Result<Response, Error> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let text = resp.text().await.unwrap_or_default();
    match serde_json::from_str::<ErrorEnvelope>(&text) {
        Ok(env) => Err(Error::Api {
            status,
            code: env.error.code,
            message: env.error.message,
            retry_after,
        }),
        Err(_) => Err(Error::UnexpectedResponse(format!("{status}: {text}"))),
    }
}
