//! Dynamic client registration (RFC 7591/7592): initial access tokens
//! (`registration_tokens`: hashed, an expiry and a use count, spent by one conditional
//! UPDATE) and the clients of kind `dynamic` they admit (`clients` rows with no product,
//! their RFC 7591 metadata as JSON, the hash of their registration access token).

use super::clients::TokenAuthMethod;
use super::clients::{edit, insert_redirect_uri, ApplicationType, Client, ClientKind};
use super::sql::{q, scalar, Exec};
use super::{from_json_list, Reader, Result, Tx};
use crate::store::changes::Topic;

/// An initial access token as stored (never the token itself).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
    pub uses: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Why an initial access token admits a registration or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Expired,
    UsedUp,
    Revoked,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "active",
            TokenStatus::Expired => "expired",
            TokenStatus::UsedUp => "used_up",
            TokenStatus::Revoked => "revoked",
        }
    }
}

impl TokenRow {
    /// Its status at `now`; revoked first, then used up, then expired.
    pub fn status(&self, now: i64) -> TokenStatus {
        if self.revoked_at.is_some() {
            TokenStatus::Revoked
        } else if self.uses >= self.max_uses {
            TokenStatus::UsedUp
        } else if self.expires_at <= now {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }
}

const TOKEN_COLUMNS: &str = "id, name, created_by, created_at, expires_at, max_uses, uses, \
                             last_used_at, revoked_at";

/// A new initial access token.
pub struct NewToken<'a> {
    pub id: &'a str,
    pub token_hash: &'a [u8],
    pub name: &'a str,
    pub created_by: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
    pub max_uses: i64,
}

pub async fn insert_token(tx: &mut Tx, t: &NewToken<'_>) -> Result<()> {
    q(
        "INSERT INTO registration_tokens (id, token_hash, name, created_by, created_at,
                                          expires_at, max_uses)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.id)
    .bind(t.token_hash)
    .bind(t.name)
    .bind(t.created_by)
    .bind(t.created_at)
    .bind(t.expires_at)
    .bind(t.max_uses)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Every initial access token, newest first.
pub async fn list_tokens(pool: &Reader) -> Result<Vec<TokenRow>> {
    q(format!(
        "SELECT {TOKEN_COLUMNS} FROM registration_tokens ORDER BY created_at DESC, id DESC"
    ))
    .fetch_all(pool)
    .await
}

/// The token whose SHA-256 is `hash`, whatever its status.
pub async fn find_token_by_hash<'a>(on: impl Exec<'a>, hash: &[u8]) -> Result<Option<TokenRow>> {
    q(format!(
        "SELECT {TOKEN_COLUMNS} FROM registration_tokens WHERE token_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(on)
    .await
}

/// Revokes the token `id` (a revoked one keeps its first revocation time); `None` when
/// there is no such token.
pub async fn revoke_token(tx: &mut Tx, id: &str, now: i64) -> Result<Option<TokenRow>> {
    q(format!(
        "UPDATE registration_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2
         RETURNING {TOKEN_COLUMNS}"
    ))
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// Spends one use of the token whose SHA-256 is `hash`, if it is usable now (not
/// expired, revoked or used up): one conditional UPDATE, so concurrent registrations on
/// any node never exceed `max_uses`. Returns the token's id and name.
pub async fn spend_token(tx: &mut Tx, hash: &[u8], now: i64) -> Result<Option<(String, String)>> {
    q(
        "UPDATE registration_tokens SET uses = uses + 1, last_used_at = $1
         WHERE token_hash = $2 AND uses < max_uses AND expires_at > $1 AND revoked_at IS NULL
         RETURNING id, name",
    )
    .bind(now)
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await
}

/// A client being registered (or its replacement on an RFC 7592 update).
pub struct NewDynamicClient<'a> {
    pub client_id: &'a str,
    /// `client_name`, or the client id when it gave none (`clients.name` is required).
    pub name: &'a str,
    /// SHA-256 of its secret (confidential methods only).
    pub secret_hash: Option<&'a [u8]>,
    pub scopes_json: &'a str,
    pub auth_method: TokenAuthMethod,
    pub application_type: ApplicationType,
    /// The RFC 7591 metadata as registered (JSON object).
    pub metadata_json: &'a str,
    pub redirect_uris: &'a [String],
}

/// Inserts a dynamic client, its login redirect URIs, the hash of its registration access
/// token and the initial access token that admitted it (`None`: open registration).
pub async fn insert_dynamic_client(
    tx: &mut Tx,
    c: &NewDynamicClient<'_>,
    registration_token_hash: &[u8],
    registered_via: Option<&str>,
    now: i64,
) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q(
        "INSERT INTO clients (client_id, product_id, kind, name, secret_hash, scopes, created_at,
                              token_endpoint_auth_method, application_type,
                              registration_token_hash, registered_via, metadata)
         VALUES ($1, NULL, 'dynamic', $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(c.client_id)
    .bind(c.name)
    .bind(c.secret_hash)
    .bind(c.scopes_json)
    .bind(now)
    .bind(c.auth_method.as_str())
    .bind(c.application_type.as_str())
    .bind(registration_token_hash)
    .bind(registered_via)
    .bind(c.metadata_json)
    .execute(&mut *tx)
    .await?;
    for uri in c.redirect_uris {
        insert_redirect_uri(tx, c.client_id, "login", uri).await?;
    }
    Ok(())
}

/// Replaces a dynamic client's metadata, scopes, method and redirect URIs (RFC 7592
/// update); its secret hash only when `secret_hash` is `Some` (`Some(None)` drops it).
pub async fn replace_dynamic_client(
    tx: &mut Tx,
    c: &NewDynamicClient<'_>,
    secret_hash: Option<Option<&[u8]>>,
    now: i64,
) -> Result<()> {
    tx.announce(Topic::Clients).await?;
    q(
        "UPDATE clients SET name = $1, scopes = $2, token_endpoint_auth_method = $3,
                            application_type = $4, metadata = $5
         WHERE client_id = $6 AND kind = 'dynamic'",
    )
    .bind(c.name)
    .bind(c.scopes_json)
    .bind(c.auth_method.as_str())
    .bind(c.application_type.as_str())
    .bind(c.metadata_json)
    .bind(c.client_id)
    .execute(&mut *tx)
    .await?;
    if let Some(hash) = secret_hash {
        q("UPDATE clients SET secret_hash = $1, secret_rotated_at = $2 WHERE client_id = $3")
            .bind(hash)
            .bind(now)
            .bind(c.client_id)
            .execute(&mut *tx)
            .await?;
    }
    q("DELETE FROM client_redirect_uris WHERE client_id = $1")
        .bind(c.client_id)
        .execute(&mut *tx)
        .await?;
    for uri in c.redirect_uris {
        insert_redirect_uri(tx, c.client_id, "login", uri).await?;
    }
    Ok(())
}

/// A dynamic client as its registration access token's holder sees it (RFC 7592).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegisteredClient {
    pub client_id: String,
    pub secret_hash: Option<Vec<u8>>,
    pub scopes: String,
    pub token_endpoint_auth_method: Option<String>,
    pub application_type: String,
    pub registered_via: Option<String>,
    pub metadata: Option<String>,
    pub created_at: i64,
}

/// The enabled dynamic client `client_id` whose registration access token hashes to
/// `hash`; `None` for any other client, kind, token or a disabled client alike.
pub async fn find_registered<'a>(
    on: impl Exec<'a>,
    client_id: &str,
    hash: &[u8],
) -> Result<Option<RegisteredClient>> {
    q(
        "SELECT client_id, secret_hash, scopes, token_endpoint_auth_method, application_type,
                registered_via, metadata, created_at
         FROM clients
         WHERE client_id = $1 AND kind = 'dynamic' AND registration_token_hash = $2
               AND disabled_at IS NULL",
    )
    .bind(client_id)
    .bind(hash)
    .fetch_optional(on)
    .await
}

/// A dynamic client's login redirect URIs, in registration order.
pub async fn redirect_uris<'a>(on: impl Exec<'a>, client_id: &str) -> Result<Vec<String>> {
    scalar(
        "SELECT uri FROM client_redirect_uris WHERE client_id = $1 AND kind = 'login'
         ORDER BY rowid",
    )
    .bind(client_id)
    .fetch_all(on)
    .await
}

/// Deletes the dynamic client `client_id` after revoking its refresh families and access
/// tokens; its codes, families and consents go by cascade. Returns the number of
/// families revoked, or `None` when there is no dynamic client of that id.
pub async fn delete_dynamic_client(
    tx: &mut Tx,
    client_id: &str,
    reason: &str,
    now: i64,
) -> Result<Option<u64>> {
    let kind: Option<String> = scalar("SELECT kind FROM clients WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
    if kind.as_deref() != Some("dynamic") {
        return Ok(None);
    }
    let families = edit::revoke_client_tokens(tx, client_id, reason, now).await?;
    edit::delete_client(tx, client_id).await?;
    Ok(Some(families))
}

/// Disables (`Some(now)`, keeping an earlier time) or enables (`None`) the dynamic client
/// `client_id`; false when there is no such client.
pub async fn set_disabled(tx: &mut Tx, client_id: &str, at: Option<i64>) -> Result<bool> {
    tx.announce(Topic::Clients).await?;
    let sql = match at {
        Some(_) => {
            "UPDATE clients SET disabled_at = COALESCE(disabled_at, $1)
                    WHERE client_id = $2 AND kind = 'dynamic'"
        }
        None => "UPDATE clients SET disabled_at = $1 WHERE client_id = $2 AND kind = 'dynamic'",
    };
    Ok(q(sql).bind(at).bind(client_id).execute(&mut *tx).await? == 1)
}

/// A dynamic client as the admin API lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedClient {
    pub client_id: String,
    pub scopes: String,
    pub token_endpoint_auth_method: Option<String>,
    pub application_type: String,
    pub registered_via: Option<String>,
    pub token_name: Option<String>,
    pub metadata: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub disabled_at: Option<i64>,
    /// Users with a remembered consent for it.
    pub consents: i64,
}

/// Every dynamic client (or only `only`), newest first, with its login redirect URIs.
pub async fn list_dynamic_clients(
    pool: &Reader,
    only: Option<&str>,
) -> Result<Vec<(ListedClient, Vec<String>)>> {
    let mut rows = q(
        "SELECT c.client_id, c.scopes, c.token_endpoint_auth_method, c.application_type,
                c.registered_via, t.name AS token_name, c.metadata, c.created_at,
                c.last_used_at, c.disabled_at,
                (SELECT COUNT(*) FROM consents k WHERE k.client_id = c.client_id) AS consents
         FROM clients c LEFT JOIN registration_tokens t ON t.id = c.registered_via
         WHERE c.kind = 'dynamic'",
    );
    let mut uris = q("SELECT r.client_id, r.uri FROM client_redirect_uris r
         JOIN clients c ON c.client_id = r.client_id
         WHERE c.kind = 'dynamic' AND r.kind = 'login'");
    if let Some(client_id) = only {
        rows.push(" AND c.client_id = ").push_bind(client_id);
        uris.push(" AND c.client_id = ").push_bind(client_id);
    }
    rows.push(" ORDER BY c.created_at DESC, c.client_id DESC");
    uris.push(" ORDER BY r.rowid");
    let rows: Vec<ListedClient> = rows.fetch_all(pool).await?;
    let uris: Vec<(String, String)> = uris.fetch_all(pool).await?;
    let mut by_client: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (client_id, uri) in uris {
        by_client.entry(client_id).or_default().push(uri);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let uris = by_client.remove(&row.client_id).unwrap_or_default();
            (row, uris)
        })
        .collect())
}

/// How many clients open registration (no initial access token) has made and kept.
pub async fn count_open_clients(tx: &mut Tx) -> Result<i64> {
    scalar("SELECT COUNT(*) FROM clients WHERE kind = 'dynamic' AND registered_via IS NULL")
        .fetch_one(&mut *tx)
        .await
}

/// Registrations (audited `event`) from client IP `ip` since `since_ms`: how many, and
/// when the oldest of them was (ms). One range of the `(type, at)` index.
pub async fn registrations_from(
    tx: &mut Tx,
    event: &str,
    ip: &str,
    since_ms: i64,
) -> Result<(i64, Option<i64>)> {
    q("SELECT COUNT(*), MIN(at) FROM audit_events WHERE type = $1 AND at >= $2 AND ip = $3")
        .bind(event)
        .bind(since_ms)
        .bind(ip)
        .fetch_one(&mut *tx)
        .await
}

/// Records that a token was issued to `client` when it is a dynamic client (others keep
/// no such record): at most one write a minute, the admin API shows it to the minute.
pub async fn note_use(tx: &mut Tx, client: &Client, now: i64) -> Result<()> {
    if client.kind != ClientKind::Dynamic {
        return Ok(());
    }
    touch(tx, &client.client_id, now).await
}

async fn touch(tx: &mut Tx, client_id: &str, now: i64) -> Result<()> {
    q("UPDATE clients SET last_used_at = $1
       WHERE client_id = $2 AND kind = 'dynamic'
             AND (last_used_at IS NULL OR last_used_at <= $1 - 60)")
    .bind(now)
    .bind(client_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Every scope some product declares (each belongs to one product).
pub async fn declared_scopes<'a>(on: impl Exec<'a>) -> Result<Vec<String>> {
    let lists: Vec<String> = scalar("SELECT scopes FROM products").fetch_all(on).await?;
    Ok(lists.iter().flat_map(|l| from_json_list(l)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sha256;
    use crate::store::Db;

    async fn token(db: &Db, max_uses: i64, expires_at: i64) -> Vec<u8> {
        let hash = sha256(&crate::crypto::random_token(16));
        let mut tx = db.begin().await.expect("tx");
        let id = crate::crypto::random_token(8);
        let t = NewToken {
            id: &id,
            token_hash: &hash,
            name: "t",
            created_by: "tests",
            created_at: 1_000,
            expires_at,
            max_uses,
        };
        insert_token(&mut tx, &t).await.expect("insert");
        tx.commit().await.expect("commit");
        hash
    }

    async fn spend(db: &Db, hash: &[u8], now: i64) -> bool {
        let mut tx = db.begin().await.expect("tx");
        let spent = spend_token(&mut tx, hash, now).await.expect("spend");
        tx.commit().await.expect("commit");
        spent.is_some()
    }

    /// A token admits `max_uses` registrations before it expires, and nothing once revoked.
    #[tokio::test]
    async fn a_token_is_spent_at_most_max_uses_times() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(dir.path(), None).await.expect("open db");
        let two = token(&db, 2, 5_000).await;
        assert!(spend(&db, &two, 2_000).await);
        assert!(spend(&db, &two, 2_000).await);
        assert!(!spend(&db, &two, 2_000).await, "a third use");
        let row = find_token_by_hash(&db.read, &two).await.unwrap().unwrap();
        assert_eq!((row.uses, row.status(2_000)), (2, TokenStatus::UsedUp));

        let expiring = token(&db, 5, 3_000).await;
        assert!(!spend(&db, &expiring, 3_000).await, "at its expiry");
        let revoked = token(&db, 5, 9_000).await;
        let id = find_token_by_hash(&db.read, &revoked)
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut tx = db.begin().await.unwrap();
        let row = revoke_token(&mut tx, &id, 2_500).await.unwrap().unwrap();
        let again = revoke_token(&mut tx, &id, 2_600).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        assert_eq!(row.status(2_500), TokenStatus::Revoked);
        assert_eq!(again.revoked_at, Some(2_500), "the first revocation stays");
        assert!(!spend(&db, &revoked, 2_700).await);
    }

    /// `last_used_at` moves at most once a minute, and only for dynamic clients.
    #[tokio::test]
    async fn last_use_is_written_at_most_once_a_minute() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(dir.path(), None).await.expect("open db");
        let c = NewDynamicClient {
            client_id: "dyn_x",
            name: "x",
            secret_hash: None,
            scopes_json: "[]",
            auth_method: TokenAuthMethod::None,
            application_type: ApplicationType::Web,
            metadata_json: "{}",
            redirect_uris: &["https://x.example/cb".to_string()],
        };
        let mut tx = db.begin().await.unwrap();
        insert_dynamic_client(&mut tx, &c, b"h", None, 100)
            .await
            .unwrap();
        for at in [1_000, 1_030, 1_059, 1_060, 1_100] {
            touch(&mut tx, "dyn_x", at).await.unwrap();
        }
        tx.commit().await.unwrap();
        let listed = list_dynamic_clients(&db.read, None).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].0.last_used_at, Some(1_060));
        assert_eq!(listed[0].1, ["https://x.example/cb"]);
    }
}
