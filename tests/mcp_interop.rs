//! Interop with an MCP client written by others: the official MCP TypeScript SDK
//! (`@modelcontextprotocol/sdk`, pinned in `tests/interop/mcp/package-lock.json`) connects
//! to `examples/mcp` through Tessera with its own OAuth client (`auth()`): the 401's
//! `resource_metadata` → RFC 9728 → RFC 8414 → RFC 7591 open registration → code + PKCE
//! with `resource` (RFC 8707) through the hosted sign-in and consent pages → token. Then it
//! calls the tools: `whoami`, and `list_orders`, which the MCP server answers by exchanging
//! the user's token (RFC 8693, as an agent of the product) for one for the orders API
//! (`examples/orders`), whose answer names the user as `sub` and the agent in `act`.
//!
//! The examples run as real processes on 127.0.0.1:0 (built by one `cargo build` of both,
//! see `common/example_apps.rs`); the script is `tests/interop/mcp/connect.mjs` (`npm ci`
//! when its dependencies are missing). Without node >= 20 this test fails, it does not skip.
mod common;
#[path = "common/example_apps.rs"]
mod example_apps;

use common::*;
use example_apps::{example_binaries, node_ready, run_node, RunningApp};
use reqwest::header::WWW_AUTHENTICATE;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The MCP client's redirect URI: a loopback URL nothing listens on (the script reads the
/// code from the `Location` that points there).
const MCP_REDIRECT: &str = "http://127.0.0.1:9/callback";
const ORDERS_AUDIENCE: &str = "shop-api";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/mcp")
}

async fn created(fx: &Fixture, method: Method, path: &str, body: Value) -> Value {
    let r = fx.admin(method.clone(), path, Some(&body)).await;
    assert!(
        r.status.is_success(),
        "{method} {path}: {} {}",
        r.status,
        r.text
    );
    r.json
}

/// Ann is a clerk (orders:read) in the branch North of a business; the fixture's product
/// "Shop" (scope orders:read) gets the orders API's audience. Returns North's id.
async fn organisation(fx: &Fixture) -> String {
    let shop = format!("/v1/products/{}", s(&fx.product, "id"));
    let audience = json!({"audience": ORDERS_AUDIENCE});
    created(fx, Method::PATCH, &shop, audience).await;
    let biz = created(
        fx,
        Method::POST,
        "/v1/businesses",
        json!({"name": "Bakery"}),
    )
    .await;
    let biz = s(&biz, "id");
    let north = json!({"name": "North"});
    let north = created(
        fx,
        Method::POST,
        &format!("/v1/businesses/{biz}/branches"),
        north,
    )
    .await;
    let clerk = json!({"name": "clerk", "scopes": [PRODUCT_SCOPE]});
    let clerk = created(
        fx,
        Method::POST,
        &format!("/v1/businesses/{biz}/roles"),
        clerk,
    )
    .await;
    let member = json!({"user_id": fx.user_id, "business_id": biz,
                        "branch_id": s(&north, "id"), "role_id": s(&clerk, "id")});
    created(fx, Method::POST, "/v1/memberships", member).await;
    s(&north, "id").to_string()
}

/// The orders app, serving North's one order.
fn start_orders(fx: &Fixture, dir: &Path, north: &str) -> RunningApp {
    let data = dir.join("orders.json");
    let orders = json!({"branches": [{"id": north, "name": "North", "orders": [
        {"sku": "FLOUR-25", "quantity": 3, "customer": "Alpha Bakery"}]}]});
    std::fs::write(&data, orders.to_string()).expect("orders data file");
    let env = [
        ("TESSERA_ISSUER", fx.issuer()),
        ("ORDERS_WEB_CLIENT_ID", fx.web_client_id.as_str()),
        ("ORDERS_CLIENT_ID", fx.server_client_id.as_str()),
        ("ORDERS_CLIENT_SECRET", fx.server_secret.as_str()),
        ("ORDERS_AUDIENCE", ORDERS_AUDIENCE),
        ("ORDERS_LISTEN", "127.0.0.1:0"),
        ("ORDERS_DATA", data.to_str().expect("utf-8 path")),
    ];
    RunningApp::start(&example_binaries().orders, &env, dir.join("orders.log"))
}

/// One entry of the script's trace of the SDK's HTTP requests, by method and URL.
fn traced<'a>(out: &'a Value, method: &str, url: &str) -> &'a Value {
    out["trace"]
        .as_array()
        .expect("trace")
        .iter()
        .find(|t| t["method"] == method && t["url"] == url)
        .unwrap_or_else(|| panic!("the SDK made no {method} {url}: {:#}", out["trace"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_typescript_sdk_connects_through_tessera() {
    let fx = Fixture::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    // Blocking calls (npm, cargo, node) are fine here: every server is another process.
    node_ready(&interop_dir(), "@modelcontextprotocol/sdk/package.json");
    let bins = example_binaries();
    let north = organisation(&fx).await;
    let orders = start_orders(&fx, dir.path(), &north);

    // MCP clients register themselves (open registration), asking for orders:read.
    let open = json!({"open_registration": true, "open_registration_scopes": [PRODUCT_SCOPE]});
    created(&fx, Method::PATCH, "/v1/settings", open).await;
    // The MCP server's agent: it exchanges users' tokens for the orders API.
    let agents = format!("/v1/products/{}/agents", s(&fx.product, "id"));
    let agent = json!({"name": "MCP server", "scopes": [PRODUCT_SCOPE]});
    let agent = created(&fx, Method::POST, &agents, agent).await;
    let agent_id = s(&agent, "client_id").to_string();
    let env = [
        ("TESSERA_ISSUER", fx.issuer()),
        ("MCP_LISTEN", "127.0.0.1:0"),
        ("TESSERA_AGENT_ID", agent_id.as_str()),
        ("TESSERA_AGENT_SECRET", s(&agent, "client_secret")),
        ("ORDERS_API", orders.base.as_str()),
        ("ORDERS_AUDIENCE", ORDERS_AUDIENCE),
    ];
    let mcp = RunningApp::start(&bins.mcp, &env, dir.path().join("mcp.log"));
    let resource = format!("{}/mcp", mcp.base);
    let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", mcp.base);
    // The MCP server is one more resource of the product whose API it calls.
    let shop = format!("/v1/products/{}", s(&fx.product, "id"));
    created(&fx, Method::PATCH, &shop, json!({"resources": [resource]})).await;

    // Without a token: 401 and where to start (RFC 9728 §5.1).
    let r = fx
        .http
        .post(&resource)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_string();
    assert_eq!(
        challenge,
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );

    let env = [
        ("MCP_URL", resource.as_str()),
        ("TESSERA_EMAIL", EMAIL),
        ("TESSERA_PASSWORD", PASSWORD),
        ("REDIRECT_URI", MCP_REDIRECT),
    ];
    let script = interop_dir().join("connect.mjs");
    let (ok, out) = run_node(&script, &env, Duration::from_secs(120));
    assert!(
        ok && out["ok"] == true,
        "the MCP SDK failed at {}: {out:#}\nMCP server log:\n{}\norders log:\n{}",
        out["step"],
        mcp.log(),
        orders.log()
    );
    println!("@modelcontextprotocol/sdk {}", out["sdk_version"]);
    let issuer = fx.issuer();

    // The SDK found Tessera from the 401 alone, registered itself, and asked for the token
    // with the MCP server as the resource.
    assert_eq!(out["probe"]["status"], 401);
    traced(&out, "GET", &metadata_url);
    let as_metadata = format!("{issuer}/.well-known/oauth-authorization-server");
    assert_eq!(traced(&out, "GET", &as_metadata)["status"], 200);
    let registration = traced(&out, "POST", &format!("{issuer}/oauth/register"));
    assert_eq!(registration["status"], 201, "{registration}");
    let token_request = traced(&out, "POST", &format!("{issuer}/oauth/token"));
    assert_eq!(token_request["status"], 200);
    assert_eq!(token_request["grant_type"], "authorization_code");
    assert_eq!(token_request["resource"], resource.as_str());
    let client_id = s(&out["registered_client"], "client_id");
    let request = &out["authorization_request"];
    assert_eq!(request["client_id"], client_id);
    assert_eq!(request["code_challenge_method"], "S256");
    assert_eq!(request["resource"], resource.as_str());
    assert_eq!(out["iss"], issuer);
    // A third-party client: the user saw the consent page after the sign-in.
    let pages = out["pages"].as_array().expect("pages");
    assert!(pages.contains(&json!("/login")), "{pages:?}");
    assert!(
        pages
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.contains("consent"))),
        "{pages:?}"
    );
    let claims = &out["token"]["claims"];
    assert_eq!(claims["aud"], resource.as_str());
    assert_eq!(claims["sub"], fx.user_id.as_str());
    assert_eq!(claims["client_id"], client_id);

    // The registration is listed as a dynamic client.
    let listed = fx.admin(Method::GET, "/v1/dynamic-clients", None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let clients = listed.json["dynamic_clients"]
        .as_array()
        .expect("dynamic_clients");
    assert!(
        clients.iter().any(|c| c["client_id"] == client_id),
        "{clients:?}"
    );

    // The tools: whoami sees Ann's token; list_orders reaches the orders API as Ann, with
    // the agent in `act`.
    assert_eq!(out["tools"], json!(["list_orders", "whoami"]));
    let me = &out["whoami"];
    assert_eq!(me["isError"], false, "{me}");
    assert_eq!(me["sub"], fx.user_id.as_str());
    assert_eq!(me["aud"], resource.as_str());
    assert_eq!(me["branch"], north.as_str());
    assert_eq!(me["act"], Value::Null);
    let listed = &out["list_orders"];
    assert_eq!(listed["isError"], false, "{listed}");
    assert_eq!(listed["status"], 200, "{listed}");
    assert_eq!(
        listed["exchanged_token"]["issued_token_type"],
        ACCESS_TOKEN_TYPE
    );
    let answer = &listed["answer"];
    assert_eq!(answer["branch"], north.as_str());
    assert_eq!(answer["orders"][0]["customer"], "Alpha Bakery", "{answer}");
    assert_eq!(answer["caller"]["sub"], fx.user_id.as_str());
    assert_eq!(
        answer["caller"]["act"]["sub"],
        agent_id.as_str(),
        "{answer}"
    );
}
