//! Products: the list, the register wizard and one product's page. A product is an app
//! that signs users in with Tessera: a public web client (code + PKCE) and, optionally, a
//! confidential server client for service-to-service `client_credentials` tokens.

mod agents;
mod app_kind;
mod client_settings;
mod detail;
pub(crate) mod form;
pub(crate) mod hooks;
mod list;
mod mfa;
mod server;
mod signup;
mod snippet;
mod try_card;
mod uris;
mod wizard;

pub use detail::ProductPage;
pub use list::ProductsPage;
pub use wizard::NewProductPage;

/// `GET /v1/products/{id}` (and every write that answers with the product), the list, and
/// `POST /v1/products/{id}/secret:rotate`.
pub(crate) use tessera_proto::products::{
    Product, ProductList, RotatedSecret as NewSecret, ServerClient,
};

/// What the console reads off a product's web client.
pub(crate) trait ProductExt {
    fn web_client_id(&self) -> String;
    fn redirect_uris(&self) -> Vec<String>;
    fn post_logout_uris(&self) -> Vec<String>;
}

impl ProductExt for Product {
    fn web_client_id(&self) -> String {
        self.web_client
            .as_ref()
            .map(|w| w.client_id.clone())
            .unwrap_or_default()
    }
    fn redirect_uris(&self) -> Vec<String> {
        self.web_client
            .as_ref()
            .map(|w| w.redirect_uris.clone())
            .unwrap_or_default()
    }
    fn post_logout_uris(&self) -> Vec<String> {
        self.web_client
            .as_ref()
            .map(|w| w.post_logout_redirect_uris.clone())
            .unwrap_or_default()
    }
}

/// The issuer the snippets point at: `GET /v1/stats`' `server.issuer`, else this page's
/// origin (the console is served by the issuer it administers).
pub(crate) async fn issuer() -> String {
    match crate::api::get::<tessera_proto::stats::Stats>("/v1/stats").await {
        Ok(s) if !s.server.issuer.is_empty() => s.server.issuer.trim_end_matches('/').to_string(),
        _ => leptos::prelude::window()
            .location()
            .origin()
            .unwrap_or_default(),
    }
}

/// "10 min", "2 h", "30 days": a token lifetime for people.
pub(crate) fn lifetime(secs: i64) -> String {
    if secs % 86_400 == 0 {
        let d = secs / 86_400;
        format!("{d} day{}", if d == 1 { "" } else { "s" })
    } else if secs % 3_600 == 0 {
        format!("{} h", secs / 3_600)
    } else if secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// Seconds shown in a minutes or days input: whole numbers when they are, else up to four
/// decimals (so 300 s reads 0.0035 days).
pub(crate) fn in_units(secs: i64, unit: i64) -> String {
    if secs % unit == 0 {
        (secs / unit).to_string()
    } else {
        let v = format!("{:.4}", secs as f64 / unit as f64);
        v.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A minutes or days input back to seconds; `None` when it is not a positive number.
pub(crate) fn from_units(input: &str, unit: i64) -> Option<i64> {
    let v: f64 = input.trim().replace(',', ".").parse().ok()?;
    (v.is_finite() && v > 0.0).then(|| (v * unit as f64).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_trip() {
        assert_eq!(in_units(600, 60), "10");
        assert_eq!(in_units(2_592_000, 86_400), "30");
        assert_eq!(in_units(300, 86_400), "0.0035");
        assert_eq!(from_units("10", 60), Some(600));
        assert_eq!(from_units("1,5", 86_400), Some(129_600));
        assert_eq!(from_units("-1", 60), None);
        assert_eq!(lifetime(600), "10 min");
        assert_eq!(lifetime(86_400), "1 day");
    }
}
