//! One client by id with its product's name, for the admin API's `/v1/clients/{id}`.

use crate::store::sql::q;
use crate::store::{Reader, Result};

#[derive(sqlx::FromRow)]
pub struct ClientInfoRow {
    pub client_id: String,
    pub kind: String,
    pub name: String,
    pub product_id: Option<String>,
    pub product_name: Option<String>,
}

/// The client `client_id` (disabled ones too), or `None`.
pub async fn client_info(pool: &Reader, client_id: &str) -> Result<Option<ClientInfoRow>> {
    q(
        "SELECT c.client_id, c.kind, c.name, c.product_id, p.name AS product_name
       FROM clients c LEFT JOIN products p ON p.id = c.product_id
       WHERE c.client_id = $1",
    )
    .bind(client_id)
    .fetch_optional(pool)
    .await
}
