//! What kind of app a product is — a browser app, a server-side web app, a native app or a
//! backend service only — and the web client settings each kind gets. The wizard asks for
//! it on its first step; the product page reads it back from the web client's settings.

use leptos::prelude::*;
use serde_json::{json, Value};

use super::Product;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AppKind {
    /// A single-page app in the browser: public client, PKCE, CORS for its origins.
    Browser,
    /// A server-rendered web app: confidential client with a secret (and PKCE).
    ServerWeb,
    /// A desktop or mobile app: public, private-use scheme or loopback redirects.
    Native,
    /// No one signs in: only the server client (client_credentials).
    Backend,
}

pub(crate) const KINDS: [AppKind; 4] = [
    AppKind::Browser,
    AppKind::ServerWeb,
    AppKind::Native,
    AppKind::Backend,
];

impl AppKind {
    pub fn value(self) -> &'static str {
        match self {
            AppKind::Browser => "browser",
            AppKind::ServerWeb => "server-web",
            AppKind::Native => "native",
            AppKind::Backend => "backend",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppKind::Browser => "Browser app",
            AppKind::ServerWeb => "Server-side web app",
            AppKind::Native => "Desktop or mobile app",
            AppKind::Backend => "Backend service only",
        }
    }

    pub fn sentence(self) -> &'static str {
        match self {
            AppKind::Browser => "A single-page app (React, Vue, plain JavaScript…) that signs in from the browser: a public client with PKCE; its redirect URIs' origins may call the token endpoint (CORS).",
            AppKind::ServerWeb => "A web app whose server does the sign-in (Rails, Django, Express, axum…): a confidential client with a secret, shown once, plus PKCE.",
            AppKind::Native => "An app installed on a computer or phone: a public client with PKCE; redirect URIs may use its own scheme (com.example.app:/callback) or http://127.0.0.1 on any port.",
            AppKind::Backend => "A service that calls APIs as itself, with no one signing in: a server client with a secret and the client_credentials grant.",
        }
    }

    /// The `web_client` settings of a new product of this kind.
    pub fn web_client(self) -> Value {
        match self {
            AppKind::ServerWeb => json!({"token_endpoint_auth_method": "client_secret_basic"}),
            AppKind::Native => json!({"application_type": "native"}),
            AppKind::Browser | AppKind::Backend => json!({}),
        }
    }

    /// Whether people sign in to it (so it needs redirect URIs).
    pub fn signs_in(self) -> bool {
        self != AppKind::Backend
    }

    /// The kind a registered product looks like.
    pub fn of(p: &Product) -> AppKind {
        let Some(w) = &p.web_client else {
            return AppKind::Backend;
        };
        if w.application_type == "native" {
            AppKind::Native
        } else if w.token_endpoint_auth_method != "none" {
            AppKind::ServerWeb
        } else if w.redirect_uris.is_empty() && p.server_client.is_some() {
            AppKind::Backend
        } else {
            AppKind::Browser
        }
    }
}

/// Four radio buttons, each with its sentence.
#[component]
pub(crate) fn AppKindField(kind: RwSignal<AppKind>) -> impl IntoView {
    view! {
        <fieldset class="field app-kind">
            <legend>"What kind of app is it?"</legend>
            {KINDS
                .iter()
                .map(|k| {
                    let k = *k;
                    let hint_id = format!("app-kind-{}-hint", k.value());
                    view! {
                        <label class="check kind-choice">
                            <input
                                type="radio"
                                name="app-kind"
                                value=k.value()
                                aria-describedby=hint_id.clone()
                                prop:checked=move || kind.get() == k
                                on:change=move |_| kind.set(k)
                            />
                            <span>
                                <strong>{k.label()}</strong>
                                <span class="hint" id=hint_id>{k.sentence()}</span>
                            </span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_back_as_itself() {
        let mut p: Product = serde_json::from_value(json!({
            "id": "p", "name": "Shop", "scopes": [], "audience": null,
            "access_token_ttl": 600, "refresh_token_ttl": 600, "refresh_family_ttl": 3600,
            "mfa": "optional", "created_at": 0, "updated_at": 0, "server_client": null,
            "web_client": {"client_id": "web_1", "token_endpoint_auth_method": "none",
                           "redirect_uris": ["https://a.example/cb"], "post_logout_redirect_uris": []}
        }))
        .unwrap();
        assert_eq!(AppKind::of(&p), AppKind::Browser);
        let w = p.web_client.as_mut().unwrap();
        w.token_endpoint_auth_method = "client_secret_basic".into();
        assert_eq!(AppKind::of(&p), AppKind::ServerWeb);
        let w = p.web_client.as_mut().unwrap();
        w.application_type = "native".into();
        assert_eq!(AppKind::of(&p), AppKind::Native);
    }
}
