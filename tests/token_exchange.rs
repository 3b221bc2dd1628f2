//! Token exchange (RFC 8693): agents and server clients allowed it act for users whose
//! tokens are addressed to their product; `act`, narrowing, revocation, refusals; the
//! agents admin API.
mod common;
use common::db::sql_write;
use common::exchange::*;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// The fixture plus the product "Api" (the user holds `api:read api:write` there), an
/// agent of it allowed `api:read openid`, and a user token of Api's web client.
struct World {
    fx: Fixture,
    api: String,
    api_web: String,
    agent: AgentCreds,
    /// Api's server client (id, secret).
    server: (String, String),
    /// The user's token response from Api's web client.
    user: Value,
    org: String,
    branch: String,
}

impl World {
    async fn new() -> World {
        let fx = Fixture::new().await;
        let product = fx.api_product().await;
        let api = s(&product, "id").to_string();
        let api_web = s(&product["web_client"], "client_id").to_string();
        let sc = &product["server_client"];
        let server = (s(sc, "client_id").into(), s(sc, "client_secret").into());
        let (org, branch) = fx.member_with(&["api:read", "api:write"]).await;
        let agent = fx
            .create_agent(&api, "Helper", &["api:read", "openid"])
            .await;
        let user = fx.tokens_for(&api_web, "openid api:read api:write").await;
        World {
            fx,
            api,
            api_web,
            agent,
            server,
            user,
            org,
            branch,
        }
    }

    fn subject(&self) -> &str {
        s(&self.user, "access_token")
    }

    fn agent(&self) -> (&str, &str) {
        (&self.agent.id, &self.agent.secret)
    }

    async fn exchange(&self, subject: &str, extra: &[(&str, &str)]) -> Reply {
        self.fx.exchange_token(self.agent(), subject, extra).await
    }
}

fn refused(r: &Reply, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"], error, "{}", r.text);
}

#[tokio::test]
async fn an_agent_acts_for_the_user_with_act_and_a_narrower_scope() {
    let w = World::new().await;
    let fx = &w.fx;
    let subject = decode_jwt(w.subject()).1;
    assert_eq!(subject["aud"], API_AUDIENCE);
    let r = w.exchange(w.subject(), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["issued_token_type"], ACCESS_TOKEN_TYPE);
    assert_eq!(r.json["token_type"], "Bearer");
    assert!(r.json.get("refresh_token").is_none() && r.json.get("id_token").is_none());
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let token = s(&r.json, "access_token").to_string();
    verify_rs256(&token, &fx.jwks().await).expect("signed by Tessera");
    let c = decode_jwt(&token).1;
    for kept in [
        "sub",
        "org",
        "branch",
        "auth_time",
        "amr",
        "acr",
        "aal",
        "auth_method",
        "sid",
    ] {
        assert_eq!(c[kept], subject[kept], "{kept}");
    }
    assert_eq!(c["sub"], fx.user_id.as_str());
    assert_eq!(
        (s(&c, "org"), s(&c, "branch")),
        (w.org.as_str(), w.branch.as_str())
    );
    assert_eq!(c["client_id"], w.agent.id.as_str());
    assert_eq!(c["aud"], API_AUDIENCE);
    assert_eq!(c["act"], json!({"sub": w.agent.id}));
    // requested (the subject's) ∩ the subject's ∩ what the agent may hold.
    assert_eq!(scopes(&c["scope"]), ["api:read", "openid"]);
    assert_eq!(r.json["scope"], c["scope"]);
    assert!(
        c["exp"].as_i64() <= subject["exp"].as_i64(),
        "{c} vs {subject}"
    );
    assert_ne!(c["jti"], subject["jti"]);

    // Introspection shows the actor; the audit log the exchange (never a token).
    let i = fx.introspect(&token).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["act"]["sub"], w.agent.id.as_str());
    let events = fx.audit_events("type=token.exchanged").await;
    let e = events
        .iter()
        .find(|e| e["detail"]["claims"]["jti"] == c["jti"])
        .unwrap_or_else(|| panic!("no token.exchanged event: {events:?}"));
    assert_eq!(e["detail"]["subject_token_jti"], subject["jti"]);
    assert_eq!(e["detail"]["claims"]["act"]["sub"], w.agent.id.as_str());
    assert_eq!(e["client_id"], w.agent.id.as_str());
    assert!(!e.to_string().contains(&token) && !e.to_string().contains(w.subject()));

    // Narrower on request, never wider.
    let r = w.exchange(w.subject(), &[("scope", "api:read")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["scope"], "api:read");
    for wider in ["api:write", "api:read profile", "orders:read"] {
        refused(
            &w.exchange(w.subject(), &[("scope", wider)]).await,
            400,
            "invalid_scope",
        );
    }

    // A second agent exchanges the exchanged token: `act` nests, outermost first.
    let second = fx.create_agent(&w.api, "Second", &["api:read"]).await;
    let r = fx
        .exchange_token((&second.id, &second.secret), &token, &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let nested = claims_of(&r.json, "access_token");
    assert_eq!(actors(&nested), [second.id.as_str(), w.agent.id.as_str()]);
    assert_eq!(nested["sub"], fx.user_id.as_str());
    assert_eq!(scopes(&nested["scope"]), ["api:read", "openid"]);
    assert!(nested["exp"].as_i64() <= c["exp"].as_i64());
}

#[tokio::test]
async fn targets_actor_tokens_and_parameters_are_checked() {
    let w = World::new().await;
    let fx = &w.fx;
    // audience / resource: a registered one becomes the aud; anything else is refused.
    for (name, value) in [("audience", API_RESOURCE), ("resource", API_RESOURCE)] {
        let r = w.exchange(w.subject(), &[(name, value)]).await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
        assert_eq!(claims_of(&r.json, "access_token")["aud"], API_RESOURCE);
    }
    let both = [("audience", API_AUDIENCE), ("resource", API_RESOURCE)];
    refused(&w.exchange(w.subject(), &both).await, 400, "invalid_target");
    for (name, value) in [
        ("audience", "https://unknown.example"),
        ("resource", "https://unknown.example/api"),
        ("resource", "not a uri"),
    ] {
        refused(
            &w.exchange(w.subject(), &[(name, value)]).await,
            400,
            "invalid_target",
        );
    }
    // Token types: access tokens only, the actor token with its type.
    let bad_types: [&[(&str, &str)]; 4] = [
        &[(
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:refresh_token",
        )],
        &[("subject_token_type", "")],
        &[(
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:id_token",
        )],
        &[("actor_token", "x")],
    ];
    for extra in bad_types {
        refused(
            &w.exchange(w.subject(), extra).await,
            400,
            "invalid_request",
        );
    }
    let r = w.exchange("", &[]).await;
    refused(&r, 400, "invalid_request");
    // The actor token must be the caller's own.
    let cc = [("grant_type", "client_credentials")];
    let own = fx.token_basic(&w.agent.id, &w.agent.secret, &cc).await;
    assert_eq!(own.status, 200, "{}", own.text);
    let actor = |t: &str| {
        [
            ("actor_token", t.to_string()),
            ("actor_token_type", ACCESS_TOKEN_TYPE.into()),
        ]
    };
    let own_actor = actor(s(&own.json, "access_token"));
    let form: Vec<(&str, &str)> = own_actor.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(w.exchange(w.subject(), &form).await.status, 200);
    let server = fx.server_token().await;
    let other_actor = actor(&server);
    let form: Vec<(&str, &str)> = other_actor.iter().map(|(k, v)| (*k, v.as_str())).collect();
    refused(&w.exchange(w.subject(), &form).await, 400, "invalid_grant");
    // A token addressed to another product (the fixture's Shop) is not the agent's to use.
    let shop = fx.user_tokens("openid").await.1;
    let r = w.exchange(s(&shop, "access_token"), &[]).await;
    refused(&r, 400, "invalid_grant");
    assert!(r.text.contains("not addressed"), "{}", r.text);
    // A client's own token is no user's.
    refused(
        &w.exchange(s(&own.json, "access_token"), &[]).await,
        400,
        "invalid_grant",
    );
}

#[tokio::test]
async fn only_agents_and_server_clients_allowed_it_may_exchange() {
    let w = World::new().await;
    let fx = &w.fx;
    let form = [
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", w.subject()),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("client_id", w.api_web.as_str()),
    ];
    refused(
        &fx.post_form("/oauth/token", None, &form).await,
        400,
        "unauthorized_client",
    );
    let server = (w.server.0.as_str(), w.server.1.as_str());
    let r = fx.exchange_token(server, w.subject(), &[]).await;
    refused(&r, 400, "unauthorized_client");
    let refusals = fx.audit_events("type=token.refused").await;
    assert!(
        refusals
            .iter()
            .any(|e| e["client_id"] == w.server.0.as_str()
                && e["detail"]["grant_type"] == TOKEN_EXCHANGE
                && e["detail"]["error"] == "unauthorized_client"),
        "{refusals:?}"
    );
    // The super-admin allows it: the server client acts for the user.
    let path = format!("/v1/products/{}", w.api);
    let body = json!({"server_client_token_exchange": true});
    let p = fx.admin(Method::PATCH, &path, Some(&body)).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json["server_client"]["token_exchange"], true);
    let r = fx.exchange_token(server, w.subject(), &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = claims_of(&r.json, "access_token");
    assert_eq!(c["act"]["sub"], w.server.0.as_str());
    assert_eq!(c["sub"], fx.user_id.as_str());
    // Created with it, and refused without a server client.
    let body = json!({"name": "Both", "server_client": true, "server_client_token_exchange": true});
    let both = fx.product_with(body).await;
    assert_eq!(both["server_client"]["token_exchange"], true);
    let body = json!({"name": "Neither", "server_client_token_exchange": true});
    let r = fx.admin(Method::POST, "/v1/products", Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let body = json!({"server_client_token_exchange": true});
    let shop = format!("/v1/products/{}", s(&fx.product, "id"));
    let _ = fx
        .admin(Method::DELETE, &format!("{shop}/server-client"), None)
        .await;
    let r = fx.admin(Method::PATCH, &shop, Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

#[tokio::test]
async fn expired_revoked_and_foreign_subject_tokens_are_invalid_grant() {
    let w = World::new().await;
    let fx = &w.fx;
    // Revoked at /oauth/revoke.
    let user = fx.tokens_for(&w.api_web, "openid api:read").await;
    let form = [
        ("token", s(&user, "access_token")),
        ("client_id", w.api_web.as_str()),
    ];
    assert_eq!(fx.post_form("/oauth/revoke", None, &form).await.status, 200);
    refused(
        &w.exchange(s(&user, "access_token"), &[]).await,
        400,
        "invalid_grant",
    );

    // Its family revoked (a reused refresh token): the subject and what was exchanged
    // from it both stop.
    let exchanged = w.exchange(w.subject(), &[]).await;
    assert_eq!(exchanged.status, 200, "{}", exchanged.text);
    let exchanged = s(&exchanged.json, "access_token").to_string();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", s(&w.user, "refresh_token")),
        ("client_id", w.api_web.as_str()),
    ];
    assert_eq!(
        fx.post_form("/oauth/token", None, &refresh).await.status,
        200
    );
    let reused = fx.post_form("/oauth/token", None, &refresh).await;
    refused(&reused, 400, "invalid_grant");
    refused(&w.exchange(w.subject(), &[]).await, 400, "invalid_grant");
    assert_eq!(fx.introspect(&exchanged).await["active"], false);

    // Signed by a key Tessera does not know, whatever its `iss` says.
    let mut claims = decode_jwt(w.subject()).1;
    for iss in [fx.issuer().to_string(), "https://other.example".into()] {
        claims["iss"] = json!(iss);
        refused(
            &w.exchange(&foreign_token(&claims), &[]).await,
            400,
            "invalid_grant",
        );
    }
    // Expired: a product whose tokens live one second (set below the API's bounds).
    let short = fx
        .product_with(json!({"name": "Short", "redirect_uris": [REDIRECT_URI],
                             "audience": "https://short.example"}))
        .await;
    let id = s(&short, "id");
    sql_write(
        &fx.srv,
        &format!("UPDATE products SET access_token_ttl = 1 WHERE id = '{id}'"),
    );
    let short_agent = fx.create_agent(id, "Late", &["openid"]).await;
    let user = fx
        .tokens_for(s(&short["web_client"], "client_id"), "openid")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let agent = (short_agent.id.as_str(), short_agent.secret.as_str());
    let r = fx
        .exchange_token(agent, s(&user, "access_token"), &[])
        .await;
    refused(&r, 400, "invalid_grant");
}

#[tokio::test]
async fn agents_are_managed_by_the_admin_api() {
    let w = World::new().await;
    let fx = &w.fx;
    let base = format!("/v1/products/{}/agents", w.api);
    let body = json!({"name": "Bot", "scopes": ["api:write", "email", "api:write"]});
    let r = fx.admin(Method::POST, &base, Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = s(&r.json, "client_id").to_string();
    let secret = s(&r.json, "client_secret").to_string();
    assert!(id.starts_with("agt_"), "{id}");
    assert_eq!(r.json["name"], "Bot");
    assert_eq!(r.json["scopes"], json!(["api:write", "email"]));
    for (body, field) in [
        (json!({"name": "X", "scopes": ["orders:read"]}), "scopes"),
        (json!({"name": "X", "scopes": ["admin"]}), "scopes"),
        (json!({"name": "", "scopes": []}), "name"),
    ] {
        let r = fx.admin(Method::POST, &base, Some(&body)).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["field"], field, "{}", r.text);
    }
    let r = fx
        .admin(Method::POST, "/v1/products/nope/agents", Some(&body))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    // Listed without secrets.
    let list = fx.admin(Method::GET, &base, None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let agents = list.json["agents"].as_array().expect("agents");
    assert_eq!(agents.len(), 2, "{}", list.text);
    assert!(!list.text.contains("client_secret"), "{}", list.text);
    // Secret post or basic, client_credentials.
    let cc = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let r = fx.post_form("/oauth/token", None, &cc).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        scopes(&claims_of(&r.json, "access_token")["scope"]),
        ["api:write", "email"]
    );
    // A retried create with an Idempotency-Key never replays the secret.
    let key = random_token();
    let post = || {
        fx.http
            .post(fx.url(&base))
            .bearer_auth(&fx.admin_token)
            .header("Idempotency-Key", &key)
            .json(&json!({"name": "Once", "scopes": []}))
            .send()
    };
    assert_eq!(post().await.expect("post").status(), 201);
    assert_eq!(post().await.expect("post").status(), 409);
    // Rotation: the new secret works, the old one no longer.
    let r = fx
        .admin(Method::POST, &format!("{base}/{id}/secret:rotate"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rotated = s(&r.json, "client_secret").to_string();
    assert_ne!(rotated, secret);
    let cc = [("grant_type", "client_credentials")];
    assert_eq!(fx.token_basic(&id, &secret, &cc).await.status, 401);
    assert_eq!(fx.token_basic(&id, &rotated, &cc).await.status, 200);
    // Deleting the agent stops its exchanged tokens too.
    let exchanged = w.exchange(w.subject(), &[]).await;
    let exchanged = s(&exchanged.json, "access_token").to_string();
    let r = fx
        .admin(Method::DELETE, &format!("{base}/{}", w.agent.id), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(fx.introspect(&exchanged).await["active"], false);
    assert_eq!(
        fx.token_basic(&w.agent.id, &w.agent.secret, &cc)
            .await
            .status,
        401
    );
    let r = fx
        .admin(Method::DELETE, &format!("{base}/{}", w.agent.id), None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = fx
        .admin(
            Method::POST,
            &format!("{base}/{}/secret:rotate", fx.server_client_id),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "a server client is no agent: {}", r.text);
    for t in ["admin.agent.created", "admin.agent.deleted"] {
        assert!(
            !fx.audit_events(&format!("type={t}")).await.is_empty(),
            "{t}"
        );
    }
}
