//! Remembered third-party consent (`consents`: per user and client, the scopes the user
//! approved), the registered metadata the consent page shows, and the revocation that
//! removing a consent brings (the user's refresh families, access tokens and unspent
//! codes of that client).

use super::sql::{q, scalar, Exec};
use super::{from_json_list, to_json_list, tokens, Reader, Result, Tx};

/// The scopes `user_id` approved for `client_id`, if the user ever did.
pub async fn granted<'a>(
    on: impl Exec<'a>,
    user_id: &str,
    client_id: &str,
) -> Result<Option<Vec<String>>> {
    let scopes: Option<String> =
        scalar("SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(on)
            .await?;
    Ok(scopes.as_deref().map(from_json_list))
}

/// Records that `user_id` approved `scopes` for `client_id`: the union with what the user
/// approved before (`created_at` kept, `updated_at` now). Returns the stored scopes.
pub async fn approve(
    tx: &mut Tx,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    now: i64,
) -> Result<Vec<String>> {
    let mut all = granted(&mut *tx, user_id, client_id)
        .await?
        .unwrap_or_default();
    for s in scopes {
        if !all.contains(s) {
            all.push(s.clone());
        }
    }
    q(
        "INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = $3, updated_at = $4",
    )
    .bind(user_id)
    .bind(client_id)
    .bind(to_json_list(&all))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(all)
}

/// A consent as listed (account page, admin API), with the client's registered metadata.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsentRow {
    pub client_id: String,
    /// JSON array.
    pub scopes: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The client's RFC 7591 metadata (JSON object), as registered.
    pub metadata: Option<String>,
}

impl ConsentRow {
    pub fn scopes(&self) -> Vec<String> {
        from_json_list(&self.scopes)
    }

    /// The client's registered `client_name` (untrusted text), if any.
    pub fn client_name(&self) -> Option<String> {
        ClientMetadata::parse(self.metadata.as_deref()).client_name
    }
}

/// The most consents one listing returns (newest first).
const MAX_LISTED: i64 = 500;

/// The user's consents, most recently approved first.
pub async fn list(pool: &Reader, user_id: &str) -> Result<Vec<ConsentRow>> {
    q(format!(
        "SELECT k.client_id, k.scopes, k.created_at, k.updated_at, c.metadata
         FROM consents k JOIN clients c ON c.client_id = k.client_id
         WHERE k.user_id = $1 ORDER BY k.updated_at DESC, k.client_id LIMIT {MAX_LISTED}"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// What removing a consent ended.
#[derive(Debug, Clone, Copy)]
pub struct Removed {
    pub families_revoked: u64,
}

/// Deletes `user_id`'s consent for `client_id` and revokes what the client holds for the
/// user: every live refresh family (with its access tokens, as a replay would), the
/// user's other access tokens of the client, and codes not yet redeemed. `None` when
/// there was no such consent.
pub async fn remove(
    tx: &mut Tx,
    user_id: &str,
    client_id: &str,
    now: i64,
) -> Result<Option<Removed>> {
    let deleted = q("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
        .bind(user_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    if deleted == 0 {
        return Ok(None);
    }
    let families: Vec<String> = scalar(
        "SELECT id FROM refresh_families
         WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(client_id)
    .fetch_all(&mut *tx)
    .await?;
    for id in &families {
        tokens::revoke_family(tx, id, "consent_revoked", now).await?;
    }
    q("UPDATE access_tokens SET revoked_at = $1
       WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL")
    .bind(now)
    .bind(user_id)
    .bind(client_id)
    .execute(&mut *tx)
    .await?;
    // A code issued just before would otherwise still turn into tokens.
    q("DELETE FROM authorization_codes WHERE user_id = $1 AND client_id = $2 AND used_at IS NULL")
        .bind(user_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    Ok(Some(Removed {
        families_revoked: families.len() as u64,
    }))
}

/// The parts of a client's registered metadata the consent page shows, as registered:
/// untrusted text, never markup, never a link or image Tessera vouches for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientMetadata {
    pub client_name: Option<String>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
}

impl ClientMetadata {
    /// The fields of a stored metadata object (anything else reads as none).
    pub fn parse(raw: Option<&str>) -> ClientMetadata {
        let value: serde_json::Value = raw
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default();
        let text = |key: &str| {
            value
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        ClientMetadata {
            client_name: text("client_name"),
            logo_uri: text("logo_uri"),
            client_uri: text("client_uri"),
        }
    }
}

/// The registered metadata of `client_id` (empty for a client without any).
pub async fn client_metadata(pool: &Reader, client_id: &str) -> Result<ClientMetadata> {
    let raw: Option<Option<String>> = scalar("SELECT metadata FROM clients WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(pool)
        .await?;
    Ok(ClientMetadata::parse(raw.flatten().as_deref()))
}

/// The product declaring each of `scopes`, as (scope, product name); a scope no product
/// declares is absent.
pub async fn scope_products(pool: &Reader, scopes: &[String]) -> Result<Vec<(String, String)>> {
    if scopes.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ScopeProduct> = q(pool.engine().pick(
        "SELECT d.value AS scope, p.name FROM products p, json_each(p.scopes) d
         WHERE d.value IN (SELECT value FROM json_each($1)) ORDER BY p.created_at",
        "SELECT d.value AS scope, p.name
         FROM products p, jsonb_array_elements_text(p.scopes::jsonb) d(value)
         WHERE d.value IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY p.created_at",
    ))
    .bind(to_json_list(scopes))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.scope, r.name)).collect())
}

#[derive(sqlx::FromRow)]
struct ScopeProduct {
    scope: String,
    name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_fields_are_read_as_plain_strings() {
        let m = ClientMetadata::parse(Some(
            r#"{"client_name":" <b>Evil</b> ","logo_uri":"https://x/l.png","client_uri":7}"#,
        ));
        assert_eq!(m.client_name.as_deref(), Some("<b>Evil</b>"));
        assert_eq!(m.logo_uri.as_deref(), Some("https://x/l.png"));
        assert_eq!(m.client_uri, None);
        assert_eq!(
            ClientMetadata::parse(Some("not json")),
            ClientMetadata::default()
        );
        assert_eq!(ClientMetadata::parse(None), ClientMetadata::default());
    }
}
