//! The account page `/account` as a browser uses it: its sign-in round trip and its forms.
use super::{html_inputs, param, Answer, Browser, Fixture};

/// Signs `browser` in to the account page from scratch (the login form) or silently (a
/// live SSO session); returns the page.
pub async fn open_account(fx: &Fixture, browser: &Browser, login: Option<(&str, &str)>) -> Answer {
    let first = browser.get(&fx.url("/account")).await;
    assert_eq!(first.status, 303, "{first:?}");
    let authorize = first.location.expect("Location");
    assert_eq!(authorize.path(), "/oauth/authorize", "{authorize}");
    assert_eq!(
        param(&authorize, "client_id").as_deref(),
        Some("tessera-account")
    );
    assert_eq!(
        param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(param(&authorize, "nonce").is_some() && param(&authorize, "state").is_some());
    let callback = match login {
        Some((email, password)) => browser.login(authorize.as_str(), email, password).await,
        None => {
            let silent = browser.get(authorize.as_str()).await;
            assert_eq!(silent.status, 303, "{silent:?}");
            silent.location.expect("Location")
        }
    };
    finish_callback(fx, browser, &callback).await
}

/// Follows the callback (200 with a refresh to the page), then opens the page.
pub async fn finish_callback(fx: &Fixture, browser: &Browser, callback: &url::Url) -> Answer {
    assert_eq!(callback.path(), "/account/callback", "{callback}");
    // On the server itself, whatever host its issuer names.
    let query = callback.query().unwrap_or("");
    let done = browser
        .get(&fx.url(&format!("/account/callback?{query}")))
        .await;
    assert_eq!(done.status, 200, "callback: {done:?}");
    let token_cookie = done
        .set_cookies
        .iter()
        .find(|c| c.starts_with("tessera_account="))
        .expect("the token cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/account"] {
        assert!(token_cookie.contains(attr), "{token_cookie}");
    }
    let page = browser.get(&fx.url("/account/")).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("Your account"), "{}", page.body);
    page
}

/// The value of the first `<input name=…>` of a page.
pub fn input(page: &str, name: &str) -> String {
    html_inputs(page)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no input {name}: {page}"))
}

pub fn inputs_named(page: &str, name: &str) -> Vec<String> {
    html_inputs(page)
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

pub fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
