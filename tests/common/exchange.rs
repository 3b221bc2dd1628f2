//! Token exchange (RFC 8693) and resource indicators (RFC 8707) for tests: products with an
//! API audience and resources, agents, users' tokens from any web client, exchanges, and
//! access tokens signed by a key Tessera does not know.
use super::{param, random_token, Fixture, Reply, EMAIL, PASSWORD, REDIRECT_URI};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const API_AUDIENCE: &str = "https://api.example";
pub const API_RESOURCE: &str = "https://api.example/mcp";

/// An agent's credentials.
pub struct AgentCreds {
    pub id: String,
    pub secret: String,
}

impl Fixture {
    /// `POST /v1/products` with `body` (201 expected).
    pub async fn product_with(&self, body: Value) -> Value {
        let r = self.admin(Method::POST, "/v1/products", Some(&body)).await;
        assert_eq!(r.status, 201, "create product: {}", r.text);
        r.json
    }

    /// The product "Api": audience [`API_AUDIENCE`], resource [`API_RESOURCE`], scopes
    /// `api:read api:write`, a web and a server client.
    pub async fn api_product(&self) -> Value {
        self.product_with(json!({
            "name": "Api", "redirect_uris": [REDIRECT_URI], "scopes": ["api:read", "api:write"],
            "audience": API_AUDIENCE, "resources": [API_RESOURCE], "server_client": true,
        }))
        .await
    }

    /// `POST /v1/products/{product}/agents` (201 expected).
    pub async fn create_agent(&self, product: &str, name: &str, scopes: &[&str]) -> AgentCreds {
        let body = json!({"name": name, "scopes": scopes});
        let path = format!("/v1/products/{product}/agents");
        let r = self.admin(Method::POST, &path, Some(&body)).await;
        assert_eq!(r.status, 201, "create agent: {}", r.text);
        AgentCreds {
            id: r.json["client_id"].as_str().expect("client_id").into(),
            secret: r.json["client_secret"].as_str().expect("secret").into(),
        }
    }

    /// A token-exchange request by `id`/`secret` for `subject` (an access token).
    pub async fn exchange_token(
        &self,
        (id, secret): (&str, &str),
        subject: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut form = vec![
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", subject),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
        ];
        for (k, v) in extra {
            form.retain(|(fk, _)| fk != k);
            form.push((k, v));
        }
        self.token_basic(id, secret, &form).await
    }

    /// The fixture user's code from the public web client `client_id` (a fresh browser),
    /// with `extra` authorization parameters; returns the code and PKCE verifier.
    pub async fn code_for(
        &self,
        client_id: &str,
        extra: &[(&str, Option<&str>)],
    ) -> (String, String) {
        let mut o = vec![("client_id", Some(client_id))];
        o.extend_from_slice(extra);
        let req = self.authorize(&o);
        let back = self.browser().login(&req.url, EMAIL, PASSWORD).await;
        let code = param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
        (code, req.verifier)
    }

    /// Redeems a code of the public web client `client_id`, with `extra` parameters.
    pub async fn redeem(
        &self,
        client_id: &str,
        (code, verifier): (&str, &str),
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
            ("client_id", client_id),
        ];
        form.extend_from_slice(extra);
        self.post_form("/oauth/token", None, &form).await
    }

    /// The fixture user's tokens from the public web client `client_id`.
    pub async fn tokens_for(&self, client_id: &str, scope: &str) -> Value {
        let (code, verifier) = self.code_for(client_id, &[("scope", Some(scope))]).await;
        let r = self.redeem(client_id, (&code, &verifier), &[]).await;
        assert_eq!(r.status, 200, "code exchange: {}", r.text);
        r.json
    }

    /// Gives the fixture user `scopes` in a new business's branch (a role and membership);
    /// returns (business id, branch id).
    pub async fn member_with(&self, scopes: &[&str]) -> (String, String) {
        let created = |path: String, body: Value| async move {
            let r = self.admin(Method::POST, &path, Some(&body)).await;
            assert_eq!(r.status, 201, "POST {path}: {}", r.text);
            r.json["id"].as_str().expect("id").to_string()
        };
        let biz = created("/v1/businesses".into(), json!({"name": random_token()})).await;
        let branch = created(
            format!("/v1/businesses/{biz}/branches"),
            json!({"name": "HQ"}),
        )
        .await;
        let body = json!({"name": "agent-user", "scopes": scopes});
        let role = created(format!("/v1/businesses/{biz}/roles"), body).await;
        let body = json!({"user_id": self.user_id, "business_id": biz,
                          "branch_id": branch, "role_id": role});
        created("/v1/memberships".into(), body).await;
        (biz, branch)
    }
}

/// An access token (`typ: at+jwt`, RS256) over `claims`, signed by a new RSA key Tessera
/// has never seen.
pub fn foreign_token(claims: &Value) -> String {
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::RSA_PKCS1_SHA256;
    let key = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
    let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": random_token()});
    let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"));
    let input = format!("{}.{}", enc(&header), enc(claims));
    let mut sig = vec![0; key.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    key.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig)
        .expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// The `act` chain of claims, outermost first.
pub fn actors(claims: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = &claims["act"];
    while let Some(sub) = next["sub"].as_str() {
        out.push(sub.to_string());
        next = &next["act"];
    }
    out
}
