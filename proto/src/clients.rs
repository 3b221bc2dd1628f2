//! `/v1/clients/{client_id}`: what any OAuth client is, by its id (for the console's
//! explanations of tokens: who `client_id`, `azp` or an `act` chain names).

use serde::{Deserialize, Serialize};

/// An OAuth client, as far as naming it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientInfo {
    /// The OAuth client id.
    pub client_id: String,
    /// `web`, `server`, `admin`, `agent` or `dynamic`.
    pub kind: String,
    /// Its name: the product's for a product's web or server client, the agent's, the
    /// CLI's for an admin client; for a dynamic client the name it registered
    /// (untrusted text).
    pub name: String,
    /// The product it belongs to, or null.
    pub product_id: Option<String>,
    /// That product's name, or null.
    pub product_name: Option<String>,
}
