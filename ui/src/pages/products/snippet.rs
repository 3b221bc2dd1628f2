//! The ready-to-paste integration snippet: plain environment variables and a tessera-sdk
//! Rust example, built from the issuer and the product's clients.

use super::ProductExt;
use leptos::prelude::*;

use super::Product;
use crate::components::CopyButton;

/// What the snippet needs to know; `secret` only right after it was minted.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Integration {
    pub issuer: String,
    pub product: Product,
    pub secret: Option<String>,
    /// A confidential web client's secret, right after it was minted.
    pub web_secret: Option<String>,
}

impl Integration {
    fn discovery(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }
    fn redirect_uri(&self) -> String {
        self.product
            .redirect_uris()
            .into_iter()
            .next()
            .unwrap_or_else(|| "https://your-app.example/callback".to_string())
    }
    fn secret_text(&self) -> String {
        self.secret
            .clone()
            .unwrap_or_else(|| "<the server client secret>".to_string())
    }

    pub fn env(&self) -> String {
        let mut out = format!(
            "TESSERA_ISSUER={}\nTESSERA_DISCOVERY_URL={}\nTESSERA_CLIENT_ID={}\nTESSERA_REDIRECT_URI={}\n",
            self.issuer,
            self.discovery(),
            self.product.web_client_id(),
            self.redirect_uri(),
        );
        if let Some(w) = self
            .product
            .web_client
            .as_ref()
            .filter(|w| w.token_endpoint_auth_method.starts_with("client_secret"))
        {
            let secret = self
                .web_secret
                .clone()
                .unwrap_or_else(|| "<the web client secret>".to_string());
            out.push_str(&format!(
                "TESSERA_CLIENT_SECRET={secret}\nTESSERA_TOKEN_ENDPOINT_AUTH_METHOD={}\n",
                w.token_endpoint_auth_method
            ));
        }
        if let Some(first) = self.product.post_logout_uris().first() {
            out.push_str(&format!("TESSERA_POST_LOGOUT_REDIRECT_URI={first}\n"));
        }
        if let Some(s) = &self.product.server_client {
            out.push_str(&format!(
                "TESSERA_SERVER_CLIENT_ID={}\nTESSERA_SERVER_CLIENT_SECRET={}\n",
                s.client_id,
                self.secret_text()
            ));
        }
        if let Some(aud) = &self.product.audience {
            out.push_str(&format!("TESSERA_AUDIENCE={aud}\n"));
        }
        out
    }

    pub fn rust(&self) -> String {
        let mut scopes: Vec<String> = ["openid", "profile", "email"]
            .iter()
            .map(|s| format!("{s:?}.into()"))
            .collect();
        scopes.extend(self.product.scopes.iter().map(|s| format!("{s:?}.into()")));
        let mut out = format!(
            r#"// Cargo.toml: tessera-sdk = "0.1", tokio = {{ version = "1", features = ["full"] }}
use tessera_sdk::{{Client, LoginOptions}};

// Discovery: {discovery}
let client = Client::discover("{issuer}", "{client_id}").await?;

// Sign a user in: redirect the browser to `login.url` (keep `login` in the session)…
let login = client.begin_login(LoginOptions {{
    redirect_uri: "{redirect}".into(),
    scopes: vec![{scopes}],
    ..Default::default()
}})?;
// …and when it comes back to the redirect URI with ?code=…&state=…:
let session = client.complete_login(&login, &callback_url).await?;
"#,
            discovery = self.discovery(),
            issuer = self.issuer,
            client_id = self.product.web_client_id(),
            redirect = self.redirect_uri(),
            scopes = scopes.join(", "),
        );
        if let Some(s) = &self.product.server_client {
            let granted: Vec<String> = s.scopes.iter().map(|x| format!("{x:?}")).collect();
            let granted = if granted.is_empty() {
                "] as &[&str".to_string()
            } else {
                granted.join(", ")
            };
            out.push_str(&format!(
                r#"
// Service to service (client_credentials), secret from the environment:
let secret = std::env::var("TESSERA_SERVER_CLIENT_SECRET")?;
let service = tessera_sdk::ServiceClient::new(
    client.discovery().clone(), "{id}", &secret, &[{granted}]);
let token = service.access_token().await?;
"#,
                id = s.client_id,
            ));
        }
        if let Some(aud) = &self.product.audience {
            out.push_str(&format!(
                r#"
// Protect your API: verify access tokens issued for it.
let verifier = tessera_sdk::Verifier::new("{issuer}", "{aud}")?;
"#,
                issuer = self.issuer,
            ));
        }
        out
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Env,
    Rust,
}

/// The snippet card body: two tabs (environment variables, Rust) and one copy button.
#[component]
pub(crate) fn Snippet(#[prop(into)] integration: Signal<Option<Integration>>) -> impl IntoView {
    let tab = RwSignal::new(Tab::Env);
    let text = Signal::derive(move || {
        integration
            .get()
            .map(|i| match tab.get() {
                Tab::Env => i.env(),
                Tab::Rust => i.rust(),
            })
            .unwrap_or_default()
    });
    let tab_button = move |t: Tab, label: &'static str, id: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                id=id
                aria-controls="snippet-panel"
                aria-selected=move || (tab.get() == t).to_string()
                tabindex=move || if tab.get() == t { "0" } else { "-1" }
                on:click=move |_| tab.set(t)
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "ArrowRight" || ev.key() == "ArrowLeft" {
                        ev.prevent_default();
                        let next = if tab.get_untracked() == Tab::Env { Tab::Rust } else { Tab::Env };
                        tab.set(next);
                        let id = if next == Tab::Env { "snippet-tab-env" } else { "snippet-tab-rust" };
                        focus_id(id);
                    }
                }
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="snippet">
            <div class="snippet-bar">
                <div class="tabs" role="tablist" aria-label="Snippet format">
                    {tab_button(Tab::Env, "Environment variables", "snippet-tab-env")}
                    {tab_button(Tab::Rust, "Rust (tessera-sdk)", "snippet-tab-rust")}
                </div>
                <span class="spacer"></span>
                <CopyButton text=text label="Copy snippet" />
            </div>
            <pre
                class="snippet-code mono"
                id="snippet-panel"
                role="tabpanel"
                tabindex="0"
                aria-labelledby=move || {
                    if tab.get() == Tab::Env { "snippet-tab-env" } else { "snippet-tab-rust" }
                }
            >
                <code>{text}</code>
            </pre>
        </div>
    }
}

/// Focuses the heading `id` of a new wizard step without jumping there, and shows the
/// page from its top (the progress bar and the step's first field).
pub(crate) fn focus_step(id: &str) {
    use wasm_bindgen::JsCast;
    let doc = document();
    if let Some(el) = doc.get_element_by_id(id) {
        let opts = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&opts, &"preventScroll".into(), &true.into());
        if let Ok(focus) = js_sys::Reflect::get(&el, &"focus".into())
            .and_then(|f| f.dyn_into::<js_sys::Function>())
        {
            let _ = focus.call1(&el, &opts);
        }
    }
    if let Some(main) = doc.get_element_by_id("main") {
        main.set_scroll_top(0);
    }
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// Moves keyboard focus to the element with `id`, if there is one.
pub(crate) fn focus_id(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}
