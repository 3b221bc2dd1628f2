//! The end users' account page `/account`: it signs in like any client (the built-in
//! `tessera-account`, code + PKCE), lists and ends the user's sessions, changes the
//! password, and asks for a fresh sign-in before each change.
mod common;
use common::account::*;
use common::db::sql_write;
use common::*;
use serde_json::Value;

/// The id of the live session a product's refresh token was issued in.
fn session_of_refresh_family(fx: &Fixture) -> String {
    let rows = fx.srv.sql(&format!(
        "SELECT session_id FROM refresh_families WHERE client_id = '{}' AND revoked_at IS NULL",
        fx.web_client_id
    ));
    rows[0]["session_id"]
        .as_str()
        .expect("session_id")
        .to_string()
}

#[tokio::test]
async fn the_page_signs_in_like_a_client_and_lists_the_sessions() {
    let fx = Fixture::new().await;
    let (_other, _) = fx.user_tokens("openid").await;
    let browser = fx.browser();
    let page = open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    assert!(page.body.contains(EMAIL), "{}", page.body);
    assert!(page.body.contains("This browser"), "{}", page.body);
    assert_eq!(
        inputs_named(&page.body, "session_id").len(),
        2,
        "{}",
        page.body
    );
    // The token went through the normal code grant, as the account client's.
    let issued = fx.audit_events("type=token.issued").await;
    assert!(
        issued.iter().any(|e| e["client_id"] == "tessera-account"),
        "{issued:?}"
    );
    // A reload uses the cookie; without it the page signs in again (silently here).
    let again = browser.get(&fx.url("/account")).await;
    assert_eq!(again.status, 200);
    let fresh = fx.browser();
    let start = fresh.get(&fx.url("/account/")).await;
    assert_eq!(start.status, 303);
}

#[tokio::test]
async fn ending_a_session_revokes_its_refresh_tokens() {
    let fx = Fixture::new().await;
    let (_phone, tokens) = fx.user_tokens("openid").await;
    let refresh = s(&tokens, "refresh_token").to_string();
    let phone_session = session_of_refresh_family(&fx);
    let browser = fx.browser();
    let page = open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    let csrf = input(&page.body, "csrf_token");

    let ended = browser
        .post_form(
            "/account/sessions/end",
            &fields(&[("csrf_token", &csrf), ("session_id", &phone_session)]),
        )
        .await;
    assert_eq!(ended.status, 303, "{ended:?}");
    assert_eq!(
        ended.location.expect("Location").as_str(),
        fx.url("/account/?done=session_ended")
    );
    let r = fx.refresh(&refresh).await;
    assert_eq!(
        r.status, 400,
        "the ended session's refresh token: {}",
        r.text
    );
    assert_eq!(r.json["error"], "invalid_grant");
    let page = browser.get(&fx.url("/account/?done=session_ended")).await;
    assert!(page.body.contains("The session is ended."), "{}", page.body);
    assert!(!page.body.contains(&phone_session), "{}", page.body);
    let events = fx.audit_events("type=account.session_ended").await;
    assert_eq!(events.len(), 1, "{events:?}");
}

#[tokio::test]
async fn another_users_session_and_a_bad_csrf_token_are_refused() {
    let fx = Fixture::new().await;
    fx.create_user("bo@example.com", "bo's password, long", "Bo")
        .await;
    let bo = fx.browser();
    bo.login(
        &fx.authorize(&[]).url,
        "bo@example.com",
        "bo's password, long",
    )
    .await;
    let bo_session = fx.srv.sql("SELECT s.id FROM sso_sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'bo@example.com'")[0]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let browser = fx.browser();
    let page = open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    let csrf = input(&page.body, "csrf_token");
    let foreign = browser
        .post_form(
            "/account/sessions/end",
            &fields(&[("csrf_token", &csrf), ("session_id", &bo_session)]),
        )
        .await;
    assert_eq!(foreign.status, 404, "{foreign:?}");
    let live = fx.srv.sql(&format!(
        "SELECT ended_at FROM sso_sessions WHERE id = '{bo_session}'"
    ));
    assert_eq!(
        live[0]["ended_at"],
        Value::Null,
        "Bo's session must live on"
    );

    let own = input(&page.body, "session_id");
    let forged = browser
        .post_form(
            "/account/sessions/end",
            &fields(&[("csrf_token", "forged"), ("session_id", &own)]),
        )
        .await;
    assert_eq!(forged.status, 403, "{forged:?}");
    let no_token = fx
        .browser()
        .post_form("/account/password", &fields(&[("csrf_token", &csrf)]))
        .await;
    assert_eq!(no_token.status, 303, "{no_token:?}");
}

#[tokio::test]
async fn the_password_changes_with_the_current_one_and_signs_out_everywhere() {
    let fx = Fixture::new().await;
    let (_phone, tokens) = fx.user_tokens("openid").await;
    let browser = fx.browser();
    let page = open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    let csrf = input(&page.body, "csrf_token");
    let new_password = "a brand new password";
    let change = |current: &'static str, new: &'static str| {
        fields(&[
            ("csrf_token", &csrf),
            ("current_password", current),
            ("new_password", new),
        ])
    };

    let wrong = browser
        .post_form(
            "/account/password",
            &change("not my password", new_password),
        )
        .await;
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert!(wrong.body.contains("The current password is wrong."));
    let short = browser
        .post_form("/account/password", &change(PASSWORD, "short"))
        .await;
    assert_eq!(short.status, 422, "{short:?}");
    assert!(
        short.body.contains("at least 8 characters"),
        "{}",
        short.body
    );

    let done = browser
        .post_form("/account/password", &change(PASSWORD, new_password))
        .await;
    assert_eq!(done.status, 200, "{done:?}");
    assert!(done.body.contains("Password changed"));
    // Signed out everywhere: the other browser's refresh token and this page's token.
    let r = fx.refresh(s(&tokens, "refresh_token")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let after = browser.get(&fx.url("/account/")).await;
    assert_eq!(after.status, 303, "{after:?}");

    let form = fx.browser().start_login(&fx.authorize(&[]).url).await;
    let old = fx.browser().submit_login(&form, EMAIL, PASSWORD).await;
    assert_ne!(old.status, 303, "the old password must be refused");
    let fresh = fx.browser();
    fresh
        .login(&fx.authorize(&[]).url, EMAIL, new_password)
        .await;
    let failed = fx.audit_events("type=account.password_changed").await;
    assert_eq!(failed.len(), 2, "one refusal, one change: {failed:?}");
}

#[tokio::test]
async fn a_stale_sign_in_is_sent_to_sign_in_again_before_a_change() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let page = open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    let own = input(&page.body, "session_id");
    // The password was typed 6 minutes ago; the page signs in again silently (its token
    // carries the session's old auth_time).
    sql_write(
        &fx.srv,
        "UPDATE sso_sessions SET auth_time = auth_time - 360",
    );
    sql_write(&fx.srv, "UPDATE access_tokens SET revoked_at = 1");
    let page = open_account(&fx, &browser, None).await;
    assert!(page.body.contains("sign in again"), "{}", page.body);
    let csrf = input(&page.body, "csrf_token");

    let stale = browser
        .post_form(
            "/account/sessions/end",
            &fields(&[("csrf_token", &csrf), ("session_id", &own)]),
        )
        .await;
    assert_eq!(stale.status, 303, "{stale:?}");
    let reauth = stale.location.expect("Location");
    assert_eq!(reauth.path(), "/account/reauth");
    // So are the authenticator app's changes.
    for path in [
        "/account/totp/start",
        "/account/recovery-codes",
        "/account/totp/remove",
    ] {
        let r = browser
            .post_form(path, &fields(&[("csrf_token", &csrf)]))
            .await;
        assert_eq!(r.status, 303, "{path}: {r:?}");
        assert_eq!(r.location.expect("Location").path(), "/account/reauth");
    }
    let authorize = browser
        .get(reauth.as_str())
        .await
        .location
        .expect("Location");
    assert_eq!(
        param(&authorize, "max_age").as_deref(),
        Some("0"),
        "{authorize}"
    );
    // max_age=0: the login form, even with a live session.
    let callback = browser.login(authorize.as_str(), EMAIL, PASSWORD).await;
    let page = finish_callback(&fx, &browser, &callback).await;
    assert!(!page.body.contains("sign in again"), "{}", page.body);
    let csrf = input(&page.body, "csrf_token");
    let current = input(&page.body, "session_id");
    let ended = browser
        .post_form(
            "/account/sessions/end",
            &fields(&[("csrf_token", &csrf), ("session_id", &current)]),
        )
        .await;
    assert_eq!(ended.status, 303, "{ended:?}");
}

/// A blob literal of `hex` in the server's SQL dialect.
fn blob(fx: &Fixture, hex: &str) -> String {
    if common::engine::database_url(&fx.srv.data_dir).is_some() {
        format!("'\\x{hex}'::bytea")
    } else {
        format!("X'{hex}'")
    }
}

#[tokio::test]
async fn passkeys_are_renamed_and_removed_by_their_owner_only() {
    let fx = Fixture::new().await;
    let bo = fx
        .create_user("bo@example.com", "bo's password, long", "Bo")
        .await;
    // Signed in first: with a passkey enrolled, a password alone no longer signs Ann in.
    let browser = fx.browser();
    open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    // Rows as a registration leaves them (the sealed record is never opened here).
    for (id, user, cred, name) in [
        ("pk-ann", fx.user_id.as_str(), "aa01", "Old laptop"),
        ("pk-bo", bo["id"].as_str().unwrap(), "bb01", "Bo's phone"),
    ] {
        sql_write(
            &fx.srv,
            &format!(
                "INSERT INTO passkeys (id, user_id, credential_id, name, passkey, created_at)
                 VALUES ('{id}', '{user}', {}, '{}', {}, {})",
                blob(&fx, cred),
                name.replace('\'', "''"),
                blob(&fx, "00"),
                unix_now()
            ),
        );
    }
    let page = browser.get(&fx.url("/account/")).await;
    assert!(
        page.body.contains("Old laptop") && !page.body.contains("pk-bo"),
        "{}",
        page.body
    );
    let csrf = input(&page.body, "csrf_token");
    let form =
        |id: &str, name: &str| fields(&[("csrf_token", &csrf), ("passkey_id", id), ("name", name)]);

    let renamed = browser
        .post_form("/account/passkeys/rename", &form("pk-ann", " New laptop "))
        .await;
    assert_eq!(renamed.status, 303, "{renamed:?}");
    let page = browser.get(&fx.url("/account/?done=passkey_renamed")).await;
    assert!(page.body.contains("New laptop") && page.body.contains("The passkey is renamed."));
    for path in ["/account/passkeys/rename", "/account/passkeys/remove"] {
        let foreign = browser.post_form(path, &form("pk-bo", "Mine now")).await;
        assert_eq!(foreign.status, 404, "{path}: {foreign:?}");
    }
    // The admin API lists them with their names and use, never the key.
    let listed = fx
        .admin(
            reqwest::Method::GET,
            &format!("/v1/users/{}/passkeys", fx.user_id),
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let keys = listed.json["passkeys"]
        .as_array()
        .expect("passkeys")
        .clone();
    assert_eq!(keys.len(), 1, "{}", listed.text);
    assert_eq!(keys[0]["id"], "pk-ann");
    assert_eq!(keys[0]["name"], "New laptop");
    assert!(keys[0]["last_used_at"].is_null() && keys[0].get("passkey").is_none());
    let unknown = fx
        .admin(reqwest::Method::GET, "/v1/users/nobody/passkeys", None)
        .await;
    assert_eq!(unknown.status, 404);
    let bo_rows = fx.srv.sql("SELECT name FROM passkeys WHERE id = 'pk-bo'");
    assert_eq!(bo_rows[0]["name"], "Bo's phone");

    let removed = browser
        .post_form("/account/passkeys/remove", &form("pk-ann", ""))
        .await;
    assert_eq!(removed.status, 303, "{removed:?}");
    assert!(fx
        .srv
        .sql("SELECT id FROM passkeys WHERE id = 'pk-ann'")
        .is_empty());
    let events = fx.audit_events("type=passkey.removed").await;
    assert_eq!(events.len(), 1, "{events:?}");
}

/// The codes of a page that shows recovery codes.
fn shown_codes(page: &str) -> Vec<String> {
    page.split("<li><code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap_or("").to_string())
        .collect()
}

/// The user's `mfa` as the admin API shows it.
async fn mfa_of(fx: &Fixture) -> Value {
    let r = fx
        .admin(
            reqwest::Method::GET,
            &format!("/v1/users/{}", fx.user_id),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["mfa"].clone()
}

#[tokio::test]
async fn the_authenticator_app_is_set_up_renewed_and_removed_on_the_account_page() {
    let fx = Fixture::new().await;
    let browser = fx.browser();
    let page = open_account(&fx, &browser, Some((EMAIL, PASSWORD))).await;
    assert!(
        page.body.contains("Set up an authenticator app"),
        "{}",
        page.body
    );
    let csrf = input(&page.body, "csrf_token");
    let form = fields(&[("csrf_token", &csrf)]);
    let forged = fields(&[("csrf_token", "forged")]);
    assert_eq!(
        browser
            .post_form("/account/totp/start", &forged)
            .await
            .status,
        403
    );

    // The key, shown once; a wrong code keeps it waiting, the right one confirms it.
    let setup = browser.post_form("/account/totp/start", &form).await;
    assert_eq!(setup.status, 200, "{setup:?}");
    let at = setup.body.find("id=\"totp-secret\">").expect("key shown") + 17;
    let key: String = setup.body[at..]
        .split('<')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let secret = common::totp::base32_decode(&key);
    assert!(setup.body.contains("otpauth://totp/") && setup.body.contains("<svg"));
    let code = |c: &str| fields(&[("csrf_token", &csrf), ("code", c)]);
    let wrong = browser
        .post_form("/account/totp/confirm", &code("000000"))
        .await;
    let right = common::totp::totp_code(&secret, unix_now() / 30);
    assert!(right == "000000" || wrong.status == 401, "{wrong:?}");
    assert_eq!(
        mfa_of(&fx).await["totp"],
        false,
        "not before its first code"
    );
    let done = browser
        .post_form("/account/totp/confirm", &code(&right))
        .await;
    assert_eq!(done.status, 200, "{done:?}");
    let first = shown_codes(&done.body);
    assert_eq!(first.len(), 10, "{}", done.body);
    assert_eq!(
        mfa_of(&fx).await,
        serde_json::json!({"totp": true, "passkeys": 0, "recovery_codes_left": 10, "required": false})
    );
    let enrolled = fx.audit_events("type=mfa.enrolled").await;
    assert_eq!(enrolled.len(), 1);
    assert_eq!(enrolled[0]["client_id"], "tessera-account");
    // A second start while one is set up changes nothing.
    assert_eq!(
        browser.post_form("/account/totp/start", &form).await.status,
        409
    );

    // New recovery codes replace the old ones.
    let renewed = browser.post_form("/account/recovery-codes", &form).await;
    assert_eq!(renewed.status, 200, "{renewed:?}");
    let second = shown_codes(&renewed.body);
    assert_eq!(second.len(), 10);
    assert!(second.iter().all(|c| !first.contains(c)));
    assert_eq!(
        fx.audit_events("type=mfa.recovery_codes_replaced")
            .await
            .len(),
        1
    );
    let page = browser.get(&fx.url("/account/")).await;
    assert!(
        page.body.contains("Recovery codes left: 10"),
        "{}",
        page.body
    );

    // Removed: the app and its codes go; new codes need an app again.
    let removed = browser.post_form("/account/totp/remove", &form).await;
    assert_eq!(removed.status, 303, "{removed:?}");
    assert_eq!(mfa_of(&fx).await["totp"], false);
    assert_eq!(mfa_of(&fx).await["recovery_codes_left"], 0);
    assert_eq!(fx.audit_events("type=mfa.removed").await.len(), 1);
    assert_eq!(
        browser
            .post_form("/account/recovery-codes", &form)
            .await
            .status,
        409
    );
}
