//! The MCP tools (rmcp's `#[tool_router]`): `whoami` and `list_orders`, and which scope
//! each needs ([`missing_scope`], checked by the middleware before rmcp sees the call).

use std::sync::Arc;

use axum::http::request::Parts;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::Extension;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{tool, tool_handler, tool_router, ErrorData, ServerHandler};
use serde_json::{json, Value};
use tessera_sdk::{Caller, ExchangeRequest};

use crate::protect::Authenticated;
use crate::{Shared, ORDERS_SCOPE};

/// The scope a tool needs in the caller's token, if any.
fn required_scope(tool: &str) -> Option<&'static str> {
    match tool {
        "list_orders" => Some(ORDERS_SCOPE),
        _ => None,
    }
}

/// The scope a `tools/call` in this JSON-RPC body (one message or a batch) needs and the
/// caller's token lacks. Anything that is not such a call is left to rmcp.
pub(crate) fn missing_scope(body: &[u8], caller: &Caller) -> Option<&'static str> {
    let Ok(message) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let messages = match &message {
        Value::Array(batch) => batch.iter().collect(),
        one => vec![one],
    };
    messages
        .into_iter()
        .filter(|m| m["method"] == "tools/call")
        .filter_map(|m| m["params"]["name"].as_str().and_then(required_scope))
        .find(|scope| !caller.has_scope(scope))
}

/// The MCP server's handler: one per session (rmcp's service factory makes them).
#[derive(Clone)]
pub(crate) struct Tools {
    shared: Arc<Shared>,
    tool_router: ToolRouter<Tools>,
}

/// The [`Authenticated`] caller the middleware put in the HTTP request's extensions.
fn authenticated(parts: &Parts) -> Result<&Authenticated, ErrorData> {
    parts
        .extensions
        .get::<Authenticated>()
        .ok_or_else(|| ErrorData::internal_error("the request was not authenticated", None))
}

#[tool_router]
impl Tools {
    pub(crate) fn new(shared: Arc<Shared>) -> Tools {
        Tools {
            shared,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Who is calling: the Tessera user id (sub), the client, the scopes, the business and branch of the access token, and its act chain when an agent acts for the user"
    )]
    async fn whoami(
        &self,
        Extension(parts): Extension<Parts>,
    ) -> Result<CallToolResult, ErrorData> {
        let caller = &authenticated(&parts)?.caller;
        let claim = |name: &str| caller.claims.get(name).cloned().unwrap_or(Value::Null);
        Ok(CallToolResult::structured(json!({
            "sub": caller.subject,
            "client_id": caller.client_id,
            "scopes": caller.scopes,
            "org": caller.org,
            "branch": caller.branch,
            "aud": claim("aud"),
            "act": claim("act"),
        })))
    }

    #[tool(
        description = "The orders of the user's branch, from the orders app's API, called on the user's behalf (token exchange: the API sees the user as sub and this server's agent in act). Needs the orders:read scope"
    )]
    async fn list_orders(
        &self,
        Extension(parts): Extension<Parts>,
    ) -> Result<CallToolResult, ErrorData> {
        let user_token = &authenticated(&parts)?.token;
        let app = &self.shared;
        let request = ExchangeRequest {
            audience: Some(app.orders_audience.clone()),
            scope: vec![ORDERS_SCOPE.to_string()],
            actor_token: None,
        };
        let exchanged = match app.agent.exchange_token(user_token, request).await {
            Ok(exchanged) => exchanged,
            Err(e) => {
                return Ok(CallToolResult::structured_error(json!({
                    "error": "token_exchange_failed",
                    "message": format!("the token exchange was refused: {e}"),
                })))
            }
        };
        let sent = app
            .http
            .get(app.orders_url.clone())
            .bearer_auth(&exchanged.access_token)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Ok(CallToolResult::structured_error(json!({
                    "error": "orders_api_unreachable",
                    "message": format!("{}: {e}", app.orders_url),
                })))
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let result = json!({
            "orders_api": app.orders_url.as_str(),
            "status": status.as_u16(),
            "answer": answer,
            "exchanged_token": {
                "issued_token_type": exchanged.issued_token_type,
                "scope": exchanged.scope,
                "expires_in": exchanged.expires_in,
            },
        });
        Ok(if status.is_success() {
            CallToolResult::structured(result)
        } else {
            CallToolResult::structured_error(result)
        })
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "tessera-example-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Tools of the Tessera example shop: whoami tells who the access token names; \
                 list_orders lists the orders of the user's branch through the orders API.",
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(scope: &str) -> Caller {
        let claims = json!({"sub": "user-1", "scope": scope});
        let Value::Object(claims) = claims else {
            unreachable!()
        };
        Caller {
            subject: "user-1".into(),
            client_id: None,
            org: None,
            branch: None,
            scopes: scope.split_whitespace().map(String::from).collect(),
            claims,
            act: None,
        }
    }

    fn call(name: &str) -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name}})
    }

    #[test]
    fn list_orders_needs_orders_read() {
        let without = caller("openid");
        let body = call("list_orders").to_string();
        assert_eq!(missing_scope(body.as_bytes(), &without), Some(ORDERS_SCOPE));
        let with = caller("openid orders:read");
        assert_eq!(missing_scope(body.as_bytes(), &with), None);
        // In a batch too.
        let batch = json!([call("whoami"), call("list_orders")]).to_string();
        assert_eq!(
            missing_scope(batch.as_bytes(), &without),
            Some(ORDERS_SCOPE)
        );
    }

    #[test]
    fn other_messages_need_no_scope() {
        let c = caller("");
        for body in [
            call("whoami").to_string(),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string(),
            json!({"jsonrpc": "2.0", "id": 1, "method": "list_orders"}).to_string(),
            "not json".to_string(),
        ] {
            assert_eq!(missing_scope(body.as_bytes(), &c), None, "{body}");
        }
    }
}
