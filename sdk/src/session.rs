//! A signed-in user's tokens: refreshed before expiry (single flight, rotation-aware),
//! switched between branches, ended with RP-initiated logout.

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::Error;
use crate::token::{expires_at, now_unix, unverified_claims, TokenResponse};

/// Refresh when the access token has less than this many seconds left.
const REFRESH_MARGIN_SECS: u64 = 30;

/// A signed-in user. Cheap to clone: clones share the tokens, so keep one per user
/// (e.g. in your server-side session store) and call [`Session::access_token`] whenever
/// a token is needed.
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    client: Client,
    current: RwLock<Arc<Tokens>>,
    /// Held for the whole refresh round trip: concurrent callers queue here and then
    /// find the fresh token instead of spending the (rotating) refresh token twice.
    refreshing: tokio::sync::Mutex<()>,
}

struct Tokens {
    access_token: String,
    refresh_token: Option<String>,
    id_token: Option<String>,
    expires_at: u64,
    id_claims: Map<String, Value>,
    access_claims: Map<String, Value>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.snapshot();
        f.debug_struct("Session")
            .field("subject", &self.subject())
            .field("org", &self.org())
            .field("branch", &self.branch())
            .field("expires_at", &t.expires_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(client: Client, resp: TokenResponse, id_claims: Map<String, Value>) -> Self {
        let access_claims = unverified_claims(&resp.access_token);
        let tokens = Tokens {
            expires_at: expires_at(&resp, &access_claims),
            access_token: resp.access_token,
            refresh_token: resp.refresh_token,
            id_token: resp.id_token,
            id_claims,
            access_claims,
        };
        Session {
            inner: Arc::new(SessionInner {
                client,
                current: RwLock::new(Arc::new(tokens)),
                refreshing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn snapshot(&self) -> Arc<Tokens> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn is_fresh(tokens: &Tokens) -> bool {
        tokens.expires_at > now_unix() + REFRESH_MARGIN_SECS
    }

    /// A valid access token, refreshed first when less than 30 s are left. Concurrent
    /// callers share one refresh request.
    pub async fn access_token(&self) -> Result<String, Error> {
        let tokens = self.snapshot();
        if Self::is_fresh(&tokens) {
            return Ok(tokens.access_token.clone());
        }
        let _guard = self.inner.refreshing.lock().await;
        let tokens = self.snapshot();
        if Self::is_fresh(&tokens) {
            return Ok(tokens.access_token.clone());
        }
        self.refresh_locked(None).await?;
        Ok(self.snapshot().access_token.clone())
    }

    /// Refreshes now, whatever the expiry (e.g. after the API answered 401).
    pub async fn refresh(&self) -> Result<(), Error> {
        let _guard = self.inner.refreshing.lock().await;
        self.refresh_locked(None).await
    }

    /// Refreshes unless another caller already replaced `rejected` meanwhile; returns
    /// the access token to retry with.
    pub(crate) async fn refresh_after_rejection(&self, rejected: &str) -> Result<String, Error> {
        let _guard = self.inner.refreshing.lock().await;
        if self.snapshot().access_token != rejected {
            return Ok(self.snapshot().access_token.clone());
        }
        self.refresh_locked(None).await?;
        Ok(self.snapshot().access_token.clone())
    }

    /// Switches the active branch (a refresh grant with `branch=ID`). When the user holds
    /// no role there the issuer answers `invalid_scope`/`access_denied`: this returns
    /// [`Error::BranchRefused`] and the session keeps its current branch and tokens.
    pub async fn switch_branch(&self, branch: &str) -> Result<(), Error> {
        let _guard = self.inner.refreshing.lock().await;
        match self.refresh_locked(Some(branch)).await {
            Err(Error::OAuth { error, .. })
                if error == "invalid_scope" || error == "access_denied" =>
            {
                Err(Error::BranchRefused {
                    branch: branch.to_string(),
                    error,
                })
            }
            other => other,
        }
    }

    /// Must run under `refreshing`. On any error the current tokens stay as they were.
    async fn refresh_locked(&self, branch: Option<&str>) -> Result<(), Error> {
        let old = self.snapshot();
        let refresh_token = old.refresh_token.as_deref().ok_or(Error::SessionExpired)?;
        let client = &self.inner.client;
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(branch) = branch {
            form.push(("branch", branch));
        }
        let resp = client.token_request(&form).await?;
        let (id_token, id_claims) = match resp.id_token.as_deref() {
            Some(id_token) => {
                let claims = client.verify_id_token(id_token, None).await?;
                if claims.get("sub") != old.id_claims.get("sub") {
                    return Err(Error::InvalidIdToken(
                        "refreshed ID token for another subject".into(),
                    ));
                }
                (Some(id_token.to_string()), claims)
            }
            None => (old.id_token.clone(), old.id_claims.clone()),
        };
        let access_claims = unverified_claims(&resp.access_token);
        let tokens = Tokens {
            expires_at: expires_at(&resp, &access_claims),
            // Rotation: the issuer invalidated the old refresh token if it sent a new one.
            refresh_token: resp.refresh_token.or_else(|| old.refresh_token.clone()),
            access_token: resp.access_token,
            id_token,
            id_claims,
            access_claims,
        };
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(tokens);
        Ok(())
    }

    /// Revokes the session's refresh token (RFC 7009; the whole sign-in ends with it), or
    /// its access token when it has none, authenticated as the client.
    pub async fn revoke(&self) -> Result<(), Error> {
        let tokens = self.snapshot();
        let (token, hint) = match &tokens.refresh_token {
            Some(rt) => (rt.as_str(), "refresh_token"),
            None => (tokens.access_token.as_str(), "access_token"),
        };
        let client = &self.inner.client;
        let endpoint = client
            .discovery()
            .metadata()
            .revocation_endpoint
            .as_deref()
            .ok_or_else(|| Error::UnexpectedResponse("no revocation_endpoint".into()))?;
        let form = [("token", token), ("token_type_hint", hint)];
        client.authenticated_post(endpoint, &form, None).await?;
        Ok(())
    }

    /// The URL that signs the user out at the issuer (RP-initiated logout with
    /// `id_token_hint`). `post_logout_redirect_uri` must be registered for the product.
    pub fn logout_url(
        &self,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<String, Error> {
        let client = &self.inner.client;
        let endpoint = client
            .discovery()
            .metadata()
            .end_session_endpoint
            .as_deref()
            .ok_or_else(|| {
                Error::UnexpectedResponse("the issuer has no end_session_endpoint".into())
            })?;
        let mut url = url::Url::parse(endpoint)
            .map_err(|e| Error::InvalidUrl(format!("end_session_endpoint: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(hint) = &self.snapshot().id_token {
                q.append_pair("id_token_hint", hint);
            }
            q.append_pair("client_id", client.client_id());
            if let Some(uri) = post_logout_redirect_uri {
                q.append_pair("post_logout_redirect_uri", uri);
            }
            if let Some(state) = state {
                q.append_pair("state", state);
            }
        }
        Ok(url.into())
    }

    fn claim(&self, name: &str) -> Option<String> {
        let t = self.snapshot();
        t.access_claims
            .get(name)
            .or_else(|| t.id_claims.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The user id (`sub`).
    pub fn subject(&self) -> Option<String> {
        self.claim("sub")
    }

    /// The active business (`org` of the access token).
    pub fn org(&self) -> Option<String> {
        self.snapshot()
            .access_claims
            .get("org")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The active branch (`branch` of the access token).
    pub fn branch(&self) -> Option<String> {
        self.snapshot()
            .access_claims
            .get("branch")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The scopes granted to the current access token.
    pub fn scopes(&self) -> Vec<String> {
        self.snapshot()
            .access_claims
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split_ascii_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// The verified ID token's claims (`email`, `name`, ... by scope).
    pub fn id_claims(&self) -> Map<String, Value> {
        self.snapshot().id_claims.clone()
    }

    /// The email and profile claims of the verified ID token (those its scopes released).
    pub fn profile(&self) -> crate::claims::UserClaims {
        let claims = Value::Object(self.snapshot().id_claims.clone());
        serde_json::from_value(claims).unwrap_or_default()
    }

    /// The access token's claims, decoded WITHOUT verification: for display only (the
    /// resource server verifies).
    pub fn access_claims(&self) -> Map<String, Value> {
        self.snapshot().access_claims.clone()
    }

    /// The raw ID token, if any.
    pub fn id_token(&self) -> Option<String> {
        self.snapshot().id_token.clone()
    }

    /// When the current access token expires (seconds since the Unix epoch).
    pub fn expires_at(&self) -> u64 {
        self.snapshot().expires_at
    }

    /// The client this session belongs to.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }
}
