//! Transport protections: `__Host-` cookies and HSTS on https issuers (the server listening
//! on plain loopback as it does behind a TLS proxy), the console's Content-Security-Policy,
//! hosted pages that no site may frame, and the refusal of a plain-http issuer on the
//! network unless `--insecure-http` is given.
mod common;
use common::*;
use std::process::Stdio;

const HTTPS_ISSUER: &str = "https://id.example.test";

/// The value part (`name=value`) of the Set-Cookie named `name`, with its attributes.
fn set_cookie<'a>(cookies: &'a [String], name: &str) -> Option<&'a String> {
    cookies.iter().find(|c| c.starts_with(&format!("{name}=")))
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_string()
}

/// A plain client that sends exactly the cookies it is given (the reqwest cookie store
/// would not send Secure cookies over the test's plain-http connection).
async fn get_with_cookie(fx: &Fixture, url: &str, cookie: &str) -> Answer {
    let b = fx.browser();
    let resp = fx.http.get(url).header("cookie", cookie).send().await;
    b.answer(resp.expect("GET")).await
}

#[tokio::test]
async fn https_issuers_use_host_prefixed_cookies_and_hsts() {
    let fx = Fixture::on(Server::start_with(&["--issuer", HTTPS_ISSUER])).await;
    let health = fx.http.get(fx.url("/health")).send().await.unwrap();
    assert_eq!(
        health.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    let req = fx.authorize(&[]);
    let first = fx.browser().get(&req.url).await;
    assert_eq!(first.status, 303, "{first:?}");
    assert_eq!(
        first.location.as_ref().map(|l| l.path().to_string()),
        Some("/login".into())
    );
    let interaction = set_cookie(&first.set_cookies, "__Host-tessera_interaction")
        .unwrap_or_else(|| panic!("no __Host- interaction cookie: {:?}", first.set_cookies));
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(
            interaction.split("; ").any(|a| a == attribute),
            "{attribute} missing: {interaction}"
        );
    }
    assert!(!interaction.to_ascii_lowercase().contains("domain"));
    assert!(set_cookie(&first.set_cookies, "tessera_interaction").is_none());

    // The unprefixed name is not read on an https issuer: a cookie planted without the
    // prefix's guarantees binds nothing.
    let login_url = first.location.clone().unwrap();
    let id = param(&login_url, "interaction").unwrap();
    let planted = get_with_cookie(
        &fx,
        login_url.as_str(),
        &format!("tessera_interaction={id}"),
    )
    .await;
    assert_eq!(planted.status, 400, "{planted:?}");
    let page = get_with_cookie(&fx, login_url.as_str(), &cookie_pair(interaction)).await;
    assert_eq!(page.status, 200, "{page:?}");

    // Signing in sets the __Host- session cookie.
    let inputs = html_inputs(&page.body);
    let field = |n: &str| inputs.iter().find(|(k, _)| k == n).unwrap().1.clone();
    let done = fx
        .http
        .post(fx.url("/login"))
        .header("cookie", cookie_pair(interaction))
        .form(&[
            ("interaction", field("interaction")),
            ("csrf_token", field("csrf_token")),
            ("email", EMAIL.to_string()),
            ("password", PASSWORD.to_string()),
        ])
        .send()
        .await
        .unwrap();
    let done = fx.browser().answer(done).await;
    assert_eq!(done.status, 303, "{done:?}");
    let session = set_cookie(&done.set_cookies, "__Host-tessera_session")
        .unwrap_or_else(|| panic!("no __Host- session cookie: {:?}", done.set_cookies));
    assert!(session.split("; ").any(|a| a == "Secure"), "{session}");
    assert!(session.split("; ").any(|a| a == "Path=/"), "{session}");
    let back = done.location.unwrap();
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    assert_eq!(param(&back, "iss").as_deref(), Some(HTTPS_ISSUER));

    // The session works under its prefixed name only.
    let silent = fx.authorize(&[("prompt", Some("none"))]);
    let a = get_with_cookie(&fx, &silent.url, &cookie_pair(session)).await;
    assert!(param(&a.location.unwrap(), "code").is_some());
    let token = cookie_pair(session).split_once('=').unwrap().1.to_string();
    let a = get_with_cookie(&fx, &silent.url, &format!("tessera_session={token}")).await;
    assert_eq!(
        param(&a.location.unwrap(), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn the_console_gets_a_strict_csp_and_no_page_may_be_framed() {
    let fx = Fixture::new().await;
    for path in ["/console/", "/console/users", "/console/console.css"] {
        let r = fx.http.get(fx.url(path)).send().await.unwrap();
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert_eq!(
            csp,
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
             base-uri 'self'; form-action 'self'",
            "{path}"
        );
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
    }
    // The app shell loads no inline script (the CSP would block it).
    let shell = fx.http.get(fx.url("/console/")).send().await.unwrap();
    let html = shell.text().await.unwrap();
    assert!(!html.contains("<script>") && !html.contains("<script type=\"module\">"));

    // Hosted pages: login, its error page, the sign-out question.
    let login = fx.browser().get(&fx.authorize(&[]).url).await;
    let login_url = login.location.unwrap();
    for url in [
        login_url.to_string(),
        fx.url("/login?interaction=nope"),
        fx.url("/oauth/logout"),
    ] {
        let r = fx.http.get(&url).send().await.unwrap();
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{url}: {csp}");
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{url}");
        // HSTS only for https issuers.
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "{url}"
        );
    }
}

/// Runs `tessera serve` expecting it to refuse to start (exit at once, unsuccessfully);
/// returns its stderr.
fn refused(args: &[&str], env: Option<(&str, &str)>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut cmd = tessera_command();
    cmd.args(["serve", "--data-dir"])
        .arg(&data)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run tessera serve");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tessera serve {args:?} started instead of refusing");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert!(!status.success(), "started with {args:?}");
    assert!(!data.exists(), "the data dir was created before the check");
    stderr
}

#[tokio::test]
async fn a_plain_http_issuer_on_the_network_needs_insecure_http() {
    for issuer in [
        "http://id.example.com",
        "http://127.attacker.example:7470",
        "http://192.168.1.20:7470",
    ] {
        let err = refused(&["--listen", "127.0.0.1:0", "--issuer", issuer], None);
        assert!(err.contains("--insecure-http"), "{issuer}: {err}");
        assert!(err.contains(issuer), "{issuer}: {err}");
    }
    // The derived issuer of an every-interface address is plain http on the network too.
    let err = refused(&["--listen", "0.0.0.0:0"], None);
    assert!(err.contains("http://0.0.0.0:0"), "{err}");
    // A false-ish env value is no opt-in.
    let err = refused(
        &[
            "--listen",
            "127.0.0.1:0",
            "--issuer",
            "http://id.example.com",
        ],
        Some(("TESSERA_INSECURE_HTTP", "0")),
    );
    assert!(err.contains("--insecure-http"), "{err}");

    // With the flag (or its env var) it starts, and says what it means.
    let srv = Server::start_with(&["--issuer", "http://id.example.com", "--insecure-http"]);
    let health: serde_json::Value = reqwest::get(srv.url("/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["issuer"], "http://id.example.com");
    assert!(srv.log().contains("INSECURE"), "{}", srv.log());
    drop(srv);

    // Loopback and https issuers need nothing.
    for issuer in ["http://localhost:7470", "http://127.0.0.2:9", HTTPS_ISSUER] {
        let srv = Server::start_with(&["--issuer", issuer]);
        assert!(!srv.log().contains("INSECURE"), "{issuer}");
    }
}

#[tokio::test]
async fn the_insecure_http_env_var_is_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tessera_command()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--issuer",
            "http://id.example.com",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("TESSERA_INSECURE_HTTP", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("listening on "), "{line:?}");
}
