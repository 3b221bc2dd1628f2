//! "Try sign-in" of a product, from its console page: the product's own web client signs
//! in through the hosted sign-in page (code + PKCE S256, `state`, `nonce`: the flow any
//! app of the product runs, real tokens of that product) and comes back to
//! [`CALLBACK_PATH`] on the console's origin — a redirect URI the product must really
//! have (the product page offers to add it; it is listed and removable like any other).
//!
//! The callback exchanges the code at once (codes live a minute), keeps the answer in
//! sessionStorage, and opens the token inspector, which takes it out ([`take`]). The
//! console itself signs in again on the way (its tokens live in memory and the page was
//! left): the server asks the super-admin to confirm, as after any reload. The refresh
//! token is not kept: the console has no use for it.

use serde::{Deserialize, Serialize};

use crate::api::ApiError;
use crate::oidc;

/// The console's test callback, below the origin it is served from.
pub const CALLBACK_PATH: &str = "/console/try-callback";
const SCOPE: &str = "openid profile email";
const PENDING_KEY: &str = "tessera.console.try.pending";
/// The last try's answer, between the callback and the inspector.
const RESULT_KEY: &str = "tessera.console.try.result";
/// Where the answer is shown.
pub const INSPECTOR_PATH: &str = "/console/inspector?tried=1";

/// The test callback as a redirect URI: `{console origin}/console/try-callback`.
pub fn callback_uri() -> String {
    oidc::here(CALLBACK_PATH)
}

/// The product being tried, kept with the pending request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub client_id: String,
}

/// What a try gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tried {
    pub product: Option<Product>,
    pub outcome: Result<Tokens, String>,
}

/// The tokens a try got (no refresh token: see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub id_token: String,
    /// Who signed in (email, else name, else subject).
    pub signed_in_as: String,
    pub scope: Option<String>,
    pub refresh_issued: bool,
}

fn request(client_id: &str, prompt_login: bool) -> oidc::Request<'_> {
    oidc::Request {
        client_id,
        redirect_uri: callback_uri(),
        scope: SCOPE,
        prompt_login,
        pending_key: PENDING_KEY,
    }
}

/// Sends the browser to the hosted sign-in page of `product`'s web client (`prompt=login`:
/// with the password, as whoever the super-admin types in).
pub async fn start(product: Product, prompt_login: bool) -> Result<(), ApiError> {
    let return_to = serde_json::to_string(&product).unwrap_or_default();
    oidc::redirect_to_authorize(&request(&product.client_id, prompt_login), return_to).await
}

/// On [`CALLBACK_PATH`]: finishes the product's sign-in, keeps what came of it for the
/// inspector, and moves to the inspector. `then` runs after (the console's own sign-in).
pub fn handle_callback(then: impl FnOnce() + 'static) {
    leptos::task::spawn_local(async move {
        let tried = finish().await;
        if let Ok(json) = serde_json::to_string(&tried) {
            oidc::session_set(RESULT_KEY, &json);
        }
        crate::app::replace(INSPECTOR_PATH);
        then();
    });
}

async fn finish() -> Tried {
    // The product rides along in the pending request; read it before `finish` takes it.
    let product = oidc::session_get(PENDING_KEY)
        .and_then(|json| serde_json::from_str::<oidc::Pending>(&json).ok())
        .and_then(|p| serde_json::from_str::<Product>(&p.return_to).ok());
    let Some(product) = product else {
        oidc::session_remove(PENDING_KEY);
        return Tried {
            product: None,
            outcome: Err(
                "This sign-in was not started from a product page in this tab (or it was already finished).".to_owned(),
            ),
        };
    };
    let outcome = match oidc::finish(&request(&product.client_id, false)).await {
        Ok(signed) => Ok(Tokens {
            signed_in_as: signed
                .claims
                .email
                .or(signed.claims.name)
                .unwrap_or(signed.claims.sub),
            access_token: signed.tokens.access_token,
            id_token: signed.id_token,
            scope: signed.tokens.scope,
            refresh_issued: signed.tokens.refresh_token.is_some(),
        }),
        Err(oidc::CallbackError::Refused { error, description }) => Err(match description {
            Some(d) => format!("The server refused the sign-in ({error}): {d}"),
            None => format!("The server refused the sign-in ({error})."),
        }),
        Err(oidc::CallbackError::Failed(message)) => Err(message),
    };
    Tried {
        product: Some(product),
        outcome,
    }
}

/// Whether a try's answer waits for the inspector.
pub fn waiting() -> bool {
    oidc::session_get(RESULT_KEY).is_some()
}

/// The answer of the last try, once: it is removed from sessionStorage as it is read.
pub fn take() -> Option<Tried> {
    let json = oidc::session_get(RESULT_KEY)?;
    oidc::session_remove(RESULT_KEY);
    serde_json::from_str(&json).ok()
}
