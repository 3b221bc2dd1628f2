//! An HTTP client that calls APIs on behalf of a signed-in user.

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{Method, RequestBuilder, Response, StatusCode};

use crate::error::Error;
use crate::session::Session;

/// Wraps `reqwest` for calls on behalf of a [`Session`]: attaches
/// `Authorization: Bearer <access token>` (or `DPoP` and a proof, when the client has a
/// [`crate::DpopKey`]; refreshing first when it is about to expire),
/// and when the API answers 401 refreshes once and retries once.
#[derive(Clone, Debug)]
pub struct AuthorizedClient {
    http: reqwest::Client,
    session: Session,
}

impl AuthorizedClient {
    /// Calls go through the issuer's HTTP client.
    pub fn new(session: Session) -> Self {
        let http = session.client().discovery().http().clone();
        AuthorizedClient { http, session }
    }

    /// Calls go through `http` (your timeouts, proxies, roots).
    pub fn with_http(session: Session, http: reqwest::Client) -> Self {
        AuthorizedClient { http, session }
    }

    /// The session whose tokens are attached.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// A request builder; send it with [`AuthorizedClient::send`].
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.http.request(method, url)
    }

    /// A GET request builder; send it with [`AuthorizedClient::send`].
    pub fn get(&self, url: &str) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A POST request builder; send it with [`AuthorizedClient::send`].
    pub fn post(&self, url: &str) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// Sends with the bearer token; on 401 refreshes once and retries once (not for
    /// streaming bodies, which cannot be replayed). Other statuses are returned as is.
    pub async fn send(&self, request: RequestBuilder) -> Result<Response, Error> {
        let mut request = request.build()?;
        let retry = request.try_clone();
        let token = self.session.access_token().await?;
        let dpop = self.session.client().dpop();
        authorize(&mut request, &token, dpop)?;
        let resp = self.http.execute(request).await?;
        let Some(mut retry) = retry else {
            return Ok(resp);
        };
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        // A DPoP nonce asked for (RFC 9449 §9): retry with it, same token.
        let token = match dpop.is_some_and(|k| k.remember_nonce(resp.headers())) {
            true => token,
            false => self.session.refresh_after_rejection(&token).await?,
        };
        authorize(&mut retry, &token, dpop)?;
        Ok(self.http.execute(retry).await?)
    }
}

/// `Authorization: Bearer <token>`, or with a DPoP key `Authorization: DPoP <token>` and
/// a proof for this request.
pub(crate) fn authorize(
    request: &mut reqwest::Request,
    token: &str,
    dpop: Option<&crate::DpopKey>,
) -> Result<(), Error> {
    match dpop {
        Some(key) => key.authorize(request, token),
        None => {
            request.headers_mut().insert(AUTHORIZATION, bearer(token)?);
            Ok(())
        }
    }
}

pub(crate) fn bearer(token: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| Error::UnexpectedResponse("access token is not a valid header value".into()))
}
