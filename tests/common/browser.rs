//! A cookie-keeping, non-redirecting HTTP client that walks the hosted login like a browser.
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use url::Url;

pub struct Browser {
    pub client: reqwest::Client,
    base: Url,
}

/// One HTTP answer reduced to what the tests look at.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    /// `Location` resolved against the server base URL.
    pub location: Option<Url>,
    pub set_cookies: Vec<String>,
    /// The `Retry-After` header (throttled or busy answers).
    pub retry_after: Option<String>,
    pub body: String,
}

/// The hidden fields of the hosted login form.
#[derive(Debug, Clone)]
pub struct LoginForm {
    pub interaction: String,
    pub csrf_token: String,
    pub html: String,
}

/// All `<input>` tags of a page as (name, value) pairs, entity-decoded.
pub fn html_inputs(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<input") {
        let start = from + i;
        let end = lower[start..].find('>').map_or(html.len(), |e| start + e);
        let tag = &html[start..end];
        if let Some(name) = attr(tag, "name") {
            out.push((name, attr(tag, "value").unwrap_or_default()));
        }
        from = end;
    }
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next()? {
            q @ ('"' | '\'') => rest[1..].split(q).next()?.to_string(),
            _ => rest
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()?
                .to_string(),
        };
        return Some(unescape(&value));
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser::build(base, None)
    }

    /// A browser whose connections come from `ip` (any of 127.0.0.0/8 is loopback), so
    /// the server sees another client IP.
    pub fn from_ip(base: &str, ip: &str) -> Browser {
        Browser::build(base, Some(ip.parse().expect("source IP")))
    }

    fn build(base: &str, ip: Option<std::net::IpAddr>) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .local_address(ip)
            .build()
            .expect("browser client");
        Browser {
            client,
            base: Url::parse(base).expect("base url"),
        }
    }

    pub async fn answer(&self, resp: reqwest::Response) -> Answer {
        let status = resp.status();
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| self.base.join(l).expect("Location is a URL"));
        let set_cookies = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = resp.text().await.unwrap_or_default();
        Answer {
            status,
            location,
            set_cookies,
            retry_after,
            body,
        }
    }

    pub async fn get(&self, url: &str) -> Answer {
        let resp = self.client.get(url).send().await.expect("GET");
        self.answer(resp).await
    }

    pub async fn post_form(&self, path: &str, fields: &[(String, String)]) -> Answer {
        let url = self.base.join(path).expect("url");
        let resp = self.client.post(url).form(fields).send().await;
        self.answer(resp.expect("POST")).await
    }

    /// GET /oauth/logout without a hint; if the server asks for confirmation (OIDC
    /// RP-Initiated Logout §2), submit its form as the user would. Returns the last answer.
    pub async fn sign_out(&self) -> Answer {
        let first = self
            .get(self.base.join("/oauth/logout").expect("url").as_str())
            .await;
        let confirms = first.status == 200
            && first.body.contains("<form")
            && first.body.contains("/oauth/logout");
        if !confirms {
            return first;
        }
        self.post_form("/oauth/logout", &html_inputs(&first.body))
            .await
    }

    /// Reads the hidden fields of the login page at `login_url`.
    pub async fn login_form(&self, login_url: &Url) -> LoginForm {
        let page = self.get(login_url.as_str()).await;
        assert_eq!(page.status, 200, "login page: {}", page.body);
        let inputs = html_inputs(&page.body);
        let field = |n: &str| {
            inputs
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("login page has no input {n}: {}", page.body))
        };
        for visible in ["email", "password"] {
            assert!(
                inputs.iter().any(|(k, _)| k == visible),
                "login page lacks the {visible} input"
            );
        }
        LoginForm {
            interaction: field("interaction"),
            csrf_token: field("csrf_token"),
            html: page.body.clone(),
        }
    }

    pub async fn submit_login(&self, form: &LoginForm, email: &str, password: &str) -> Answer {
        let resp = self
            .client
            .post(self.base.join("/login").expect("login url"))
            .form(&[
                ("interaction", form.interaction.as_str()),
                ("csrf_token", form.csrf_token.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .expect("POST /login");
        self.answer(resp).await
    }

    /// GET the authorize URL and expect the 303 to the hosted login page.
    pub async fn start_login(&self, authorize_url: &str) -> LoginForm {
        let first = self.get(authorize_url).await;
        assert_eq!(first.status, 303, "authorize: {first:?}");
        let login = first.location.expect("authorize redirect has a Location");
        assert_eq!(login.path(), "/login", "authorize went to {login}");
        assert!(param(&login, "interaction").is_some(), "{login}");
        self.login_form(&login).await
    }

    /// The whole login: authorize -> /login -> POST -> the 303 to the redirect_uri.
    pub async fn login(&self, authorize_url: &str, email: &str, password: &str) -> Url {
        let form = self.start_login(authorize_url).await;
        let done = self.submit_login(&form, email, password).await;
        assert_eq!(done.status, 303, "POST /login: {done:?}");
        done.location.expect("login success has a Location")
    }
}

use super::param;
