//! Products and their OAuth clients, redirect URIs and secrets (changes and deletes in
//! `edit`).

use crate::store::sql::{q, scalar};
pub mod agents;
pub mod edit;
pub mod info;
pub mod origins;
pub mod policy;

pub use policy::{AdminApiAccess, AudienceRule, ClientPolicy, RedirectRule, SignInRule};

use super::{from_json_list, Tx};
use crate::error::StoreError;
use crate::store::changes::Topic;
use crate::store::{Reader, Result};

/// The built-in console's public sign-in client ([`ClientPolicy::console`]).
pub const CONSOLE_CLIENT_ID: &str = "tessera-console";
/// The built-in account page's public sign-in client ([`ClientPolicy::account`]).
pub const ACCOUNT_CLIENT_ID: &str = "tessera-account";
/// The built-in clients, created or put back in shape at every start.
const BUILTIN_CLIENTS: [(&str, &str); 2] = [
    (CONSOLE_CLIENT_ID, "Tessera console"),
    (ACCOUNT_CLIENT_ID, "Tessera account"),
];
/// The built-in clients' token lifetimes: access 10 min, refresh 12 h (rotating).
const CONSOLE_ACCESS_TTL: i64 = 600;
const CONSOLE_REFRESH_TTL: i64 = 12 * 3600;
/// A console sign-in ends with its SSO session, however often it is refreshed.
const CONSOLE_FAMILY_TTL: i64 = 12 * 3600;
/// Default absolute lifetime of a refresh family (one sign-in): 90 days.
pub const DEFAULT_REFRESH_FAMILY_TTL: i64 = 90 * 86_400;

/// What kind of OAuth client a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A product's public sign-in client (PKCE, no secret).
    Web,
    /// A product's confidential client for client_credentials.
    Server,
    /// A CLI-made confidential client allowed the `admin` scope.
    Admin,
    /// A product's agent: a confidential client that may use client_credentials and
    /// token exchange (RFC 8693), acting for the users whose tokens it exchanges.
    Agent,
    /// A client registered through `/oauth/register` (RFC 7591): third-party (its users
    /// see the consent page), no product; managed with its registration access token.
    Dynamic,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Web => "web",
            ClientKind::Server => "server",
            ClientKind::Admin => "admin",
            ClientKind::Agent => "agent",
            ClientKind::Dynamic => "dynamic",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "web" => Some(ClientKind::Web),
            "server" => Some(ClientKind::Server),
            "admin" => Some(ClientKind::Admin),
            "agent" => Some(ClientKind::Agent),
            "dynamic" => Some(ClientKind::Dynamic),
            _ => None,
        }
    }
}

/// How a client authenticates at the token endpoint (RFC 7591 `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAuthMethod {
    /// A public client: PKCE, no secret.
    None,
    ClientSecretBasic,
    ClientSecretPost,
    /// RFC 7523 client assertions signed with a key from the client's `jwks`/`jwks_uri`.
    PrivateKeyJwt,
}

impl TokenAuthMethod {
    pub const ALL: [TokenAuthMethod; 4] = [
        TokenAuthMethod::None,
        TokenAuthMethod::ClientSecretBasic,
        TokenAuthMethod::ClientSecretPost,
        TokenAuthMethod::PrivateKeyJwt,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuthMethod::None => "none",
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
            TokenAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
    /// Whether the client proves who it is with a shared secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost
        )
    }
}

/// RFC 8252 / OIDC Registration `application_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationType {
    /// Runs on a web server or in a browser: https redirect URIs (http on loopback).
    Web,
    /// A desktop or mobile app: also private-use schemes and loopback redirects that
    /// match any port (RFC 8252 §7.1, §7.3).
    Native,
}

impl ApplicationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "web" => Some(ApplicationType::Web),
            "native" => Some(ApplicationType::Native),
            _ => None,
        }
    }
}

/// A web client's settings for every kind of app (PRODUCT.md "Kinds of apps"); server,
/// admin and built-in clients have the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// The registered method; a client stored without one has its kind's: `none` for a
    /// web client, `client_secret_basic` (post accepted too) for server and admin clients.
    pub token_auth: TokenAuthMethod,
    pub application_type: ApplicationType,
    /// Browser origins CORS allows; `None` = the origins of the redirect URIs.
    pub allowed_origins: Option<Vec<String>>,
    /// Authorization requests must come through PAR (RFC 9126).
    pub require_par: bool,
    /// Access tokens must be DPoP-bound (RFC 9449).
    pub dpop_bound: bool,
    /// `private_key_jwt`: the client's JWK Set as JSON text, or where to fetch it.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
}

impl AppSettings {
    /// The settings of a client of `kind` stored with none of its own.
    pub fn default_for(kind: ClientKind) -> Self {
        AppSettings {
            token_auth: match kind {
                ClientKind::Web | ClientKind::Dynamic => TokenAuthMethod::None,
                ClientKind::Server | ClientKind::Admin | ClientKind::Agent => {
                    TokenAuthMethod::ClientSecretBasic
                }
            },
            application_type: ApplicationType::Web,
            allowed_origins: None,
            require_par: false,
            dpop_bound: false,
            jwks: None,
            jwks_uri: None,
        }
    }
}

/// A client joined with the product settings the token endpoint needs.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub product_id: Option<String>,
    pub kind: ClientKind,
    pub name: String,
    pub secret_hash: Option<Vec<u8>>,
    /// Scopes granted to this client for client_credentials.
    pub granted_scopes: Vec<String>,
    /// The product's declared scopes (empty for admin clients).
    pub product_scopes: Vec<String>,
    pub audience: Option<String>,
    /// The product's RFC 8707 resources besides its audience (none for clients without a
    /// product).
    pub resources: Vec<String>,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    /// Absolute lifetime of a refresh family from the sign-in that started it.
    pub refresh_family_ttl: i64,
    /// The product requires a second factor of everyone signing in to it.
    pub mfa_required: bool,
    /// The product lets people sign up on their own (`/v1/auth/register`, the hosted
    /// sign-up page).
    pub self_registration: bool,
    /// What the client may do; the one place its kind (or being the console) shows.
    pub policy: ClientPolicy,
    /// How it authenticates, what kind of app it is, CORS origins, PAR, DPoP.
    pub app: AppSettings,
}

impl Client {
    /// Whether the client authenticates itself (a secret or a signed assertion).
    pub fn is_confidential(&self) -> bool {
        self.app.token_auth != TokenAuthMethod::None
    }
}

#[derive(sqlx::FromRow)]
struct ClientJoinRow {
    client_id: String,
    product_id: Option<String>,
    kind: String,
    name: String,
    secret_hash: Option<Vec<u8>>,
    scopes: String,
    product_scopes: Option<String>,
    audience: Option<String>,
    resources: Option<String>,
    access_token_ttl: Option<i64>,
    refresh_token_ttl: Option<i64>,
    refresh_family_ttl: Option<i64>,
    mfa: Option<String>,
    self_registration: Option<bool>,
    token_exchange: bool,
    /// RFC 7591 metadata of a dynamically registered client (JSON).
    metadata: Option<String>,
    #[sqlx(flatten)]
    app: AppColumns,
}

/// The `clients` columns of [`AppSettings`], as stored.
#[derive(sqlx::FromRow)]
struct AppColumns {
    token_endpoint_auth_method: Option<String>,
    application_type: String,
    allowed_origins: Option<String>,
    require_par: bool,
    dpop_bound: bool,
    jwks: Option<String>,
    jwks_uri: Option<String>,
}

impl AppColumns {
    /// The settings of a client of `kind`; an unknown method or type is a corrupt row.
    fn settings(self, kind: ClientKind) -> Result<AppSettings, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("client {what}"));
        let mut app = AppSettings::default_for(kind);
        if let Some(m) = &self.token_endpoint_auth_method {
            app.token_auth = TokenAuthMethod::parse(m).ok_or_else(|| corrupt("auth method"))?;
        }
        app.application_type = ApplicationType::parse(&self.application_type)
            .ok_or_else(|| corrupt("application type"))?;
        app.allowed_origins = self.allowed_origins.as_deref().map(from_json_list);
        app.require_par = self.require_par;
        app.dpop_bound = self.dpop_bound;
        app.jwks = self.jwks;
        app.jwks_uri = self.jwks_uri;
        Ok(app)
    }
}

/// The columns every read of [`AppColumns`] selects (table alias `c`).
macro_rules! app_columns {
    () => {
        "c.token_endpoint_auth_method, c.application_type, c.allowed_origins,
         c.require_par, c.dpop_bound, c.jwks, c.jwks_uri"
    };
}

/// `find_client`'s statement; `$product_scopes` the JSON array of the product's own scopes.
macro_rules! find_client {
    ($product_scopes:literal) => {
        concat!(
            "SELECT c.client_id, c.product_id, c.kind, c.name, c.secret_hash, c.scopes,
                    c.token_exchange, c.metadata, ",
            app_columns!(),
            ", ",
            $product_scopes,
            " AS product_scopes,
                p.audience, p.resources, p.access_token_ttl, p.refresh_token_ttl, p.refresh_family_ttl, p.mfa,
                p.self_registration
         FROM clients c LEFT JOIN products p ON p.id = c.product_id
         WHERE c.client_id = $1 AND c.disabled_at IS NULL"
        )
    };
}
const FIND_CLIENT_SQLITE: &str = find_client!(
    "(SELECT json_group_array(d.value) FROM json_each(p.scopes) d
      WHERE NOT EXISTS (SELECT 1 FROM products o, json_each(o.scopes) e
                        WHERE o.id <> p.id AND e.value = d.value))"
);
const FIND_CLIENT_POSTGRES: &str = find_client!(
    "(SELECT json_agg(d.value)::text FROM jsonb_array_elements_text(p.scopes::jsonb) d(value)
      WHERE NOT EXISTS (SELECT 1 FROM products o, jsonb_array_elements_text(o.scopes::jsonb) e(value)
                        WHERE o.id <> p.id AND e.value = d.value))"
);

/// The client `client_id`, unless it is unknown or disabled.
pub async fn find_client(pool: &Reader, client_id: &str) -> Result<Option<Client>, StoreError> {
    // A scope that another product declares too (rows from before scopes were unique
    // per product) is left out: a role granting it cannot tell which product it meant.
    let row: Option<ClientJoinRow> =
        q(pool.engine().pick(FIND_CLIENT_SQLITE, FIND_CLIENT_POSTGRES))
            .bind(client_id)
            .fetch_optional(pool)
            .await?;
    row.map(client_from_row).transpose()
}

/// [`find_client`] inside a write transaction (a read-modify-write of its settings).
pub async fn find_client_tx(tx: &mut Tx, client_id: &str) -> Result<Option<Client>, StoreError> {
    let row: Option<ClientJoinRow> = q(tx.engine().pick(FIND_CLIENT_SQLITE, FIND_CLIENT_POSTGRES))
        .bind(client_id)
        .fetch_optional(&mut *tx)
        .await?;
    row.map(client_from_row).transpose()
}

fn client_from_row(r: ClientJoinRow) -> Result<Client, StoreError> {
    let kind = ClientKind::parse(&r.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("client kind {:?}", r.kind)))?;
    if r.client_id == CONSOLE_CLIENT_ID {
        return Ok(builtin_client(r.client_id, r.name, ClientPolicy::console()));
    }
    if r.client_id == ACCOUNT_CLIENT_ID {
        return Ok(builtin_client(r.client_id, r.name, ClientPolicy::account()));
    }
    let app = r.app.settings(kind)?;
    let granted_scopes = from_json_list(&r.scopes);
    // A dynamic client has no product: the scopes it registered for are the ones it may
    // ask for at authorize.
    let product_scopes = match kind {
        ClientKind::Dynamic => granted_scopes.clone(),
        _ => r
            .product_scopes
            .as_deref()
            .map(from_json_list)
            .unwrap_or_default(),
    };
    Ok(Client {
        client_id: r.client_id,
        product_id: r.product_id,
        kind,
        name: r.name,
        secret_hash: r.secret_hash,
        granted_scopes,
        product_scopes,
        audience: r.audience,
        resources: r
            .resources
            .as_deref()
            .map(from_json_list)
            .unwrap_or_default(),
        access_token_ttl: r.access_token_ttl.unwrap_or(600),
        refresh_token_ttl: r.refresh_token_ttl.unwrap_or(30 * 24 * 3600),
        refresh_family_ttl: r.refresh_family_ttl.unwrap_or(DEFAULT_REFRESH_FAMILY_TTL),
        mfa_required: r.mfa.as_deref() == Some("required"),
        self_registration: r.self_registration.unwrap_or(false),
        policy: ClientPolicy::for_client(kind, r.token_exchange)
            .registered(registered_grants(kind, r.metadata.as_deref()).as_deref()),
        app,
    })
}

/// The `grant_types` a dynamically registered client registered (RFC 7591 §2); `None` for
/// the other kinds, whose policy alone decides.
fn registered_grants(kind: ClientKind, metadata: Option<&str>) -> Option<Vec<String>> {
    if kind != ClientKind::Dynamic {
        return None;
    }
    let metadata: serde_json::Value = serde_json::from_str(metadata.unwrap_or("{}")).ok()?;
    // RFC 7591 §2: omitted means authorization_code alone.
    Some(match metadata.get("grant_types") {
        Some(serde_json::Value::Array(grants)) => grants
            .iter()
            .filter_map(|g| g.as_str().map(String::from))
            .collect(),
        _ => vec!["authorization_code".to_string()],
    })
}

/// A built-in client (console, account page), whatever its row says: the only place that
/// knows they are special.
fn builtin_client(client_id: String, name: String, policy: ClientPolicy) -> Client {
    Client {
        client_id,
        product_id: None,
        kind: ClientKind::Web,
        name,
        secret_hash: None,
        granted_scopes: Vec::new(),
        product_scopes: Vec::new(),
        audience: None,
        resources: Vec::new(),
        access_token_ttl: CONSOLE_ACCESS_TTL,
        refresh_token_ttl: CONSOLE_REFRESH_TTL,
        refresh_family_ttl: CONSOLE_FAMILY_TTL,
        mfa_required: false,
        self_registration: false,
        policy,
        app: AppSettings::default_for(ClientKind::Web),
    }
}

/// Creates the built-in clients' rows (console, account page), or puts them back in
/// shape (public web client, no product, no secret, no scopes); a no-op when they are
/// already right.
pub async fn ensure_builtin_clients(tx: &mut Tx, now: i64) -> Result<()> {
    for (client_id, name) in BUILTIN_CLIENTS {
        ensure_builtin_client(tx, client_id, name, now).await?;
    }
    Ok(())
}

async fn ensure_builtin_client(tx: &mut Tx, client_id: &str, name: &str, now: i64) -> Result<()> {
    q(
        "INSERT INTO clients (client_id, product_id, kind, name, secret_hash, scopes, created_at)
         VALUES ($1, NULL, 'web', $3, NULL, '[]', $2)
         ON CONFLICT(client_id) DO UPDATE SET product_id = NULL, kind = 'web', secret_hash = NULL,
                                              scopes = '[]'
         WHERE clients.product_id IS NOT NULL OR clients.kind <> 'web'
               OR clients.secret_hash IS NOT NULL OR clients.scopes <> '[]'",
    )
    .bind(client_id)
    .bind(now)
    .bind(name)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether `uri` is registered for the client, compared exactly.
pub async fn has_redirect_uri(
    pool: &Reader,
    client_id: &str,
    kind: &str,
    uri: &str,
) -> Result<bool> {
    let n: i64 = scalar(
        "SELECT COUNT(*) FROM client_redirect_uris WHERE client_id = $1 AND kind = $2 AND uri = $3",
    )
    .bind(client_id)
    .bind(kind)
    .bind(uri)
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

pub async fn redirect_uris(pool: &Reader, client_id: &str, kind: &str) -> Result<Vec<String>> {
    scalar("SELECT uri FROM client_redirect_uris WHERE client_id = $1 AND kind = $2 ORDER BY rowid")
        .bind(client_id)
        .bind(kind)
        .fetch_all(pool)
        .await
}

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub product_id: Option<&'a str>,
    pub kind: ClientKind,
    pub name: &'a str,
    pub secret_hash: Option<&'a [u8]>,
    pub scopes_json: &'a str,
    pub now: i64,
}

pub async fn insert_client(tx: &mut Tx, c: &NewClient<'_>) -> Result<()> {
    q(
        "INSERT INTO clients (client_id, product_id, kind, name, secret_hash, scopes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(c.client_id)
    .bind(c.product_id)
    .bind(c.kind.as_str())
    .bind(c.name)
    .bind(c.secret_hash)
    .bind(c.scopes_json)
    .bind(c.now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn insert_redirect_uri(
    tx: &mut Tx,
    client_id: &str,
    kind: &str,
    uri: &str,
) -> Result<(), StoreError> {
    let res = q("INSERT INTO client_redirect_uris (client_id, kind, uri) VALUES ($1, $2, $3)")
        .bind(client_id)
        .bind(kind)
        .bind(uri)
        .execute(&mut *tx)
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if e.is_unique_violation() => Err(StoreError::Conflict(format!(
            "redirect URI {uri} is already registered"
        ))),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub scopes: String,
    pub audience: Option<String>,
    /// RFC 8707 resources besides the audience (JSON list of absolute URIs).
    pub resources: String,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub refresh_family_ttl: i64,
    /// `optional` or `required`.
    pub mfa: String,
    /// People may sign up on their own.
    pub self_registration: bool,
}

pub struct NewProduct<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub scopes_json: &'a str,
    pub audience: Option<&'a str>,
    /// JSON list of RFC 8707 resources.
    pub resources_json: &'a str,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub refresh_family_ttl: i64,
    pub now: i64,
}

pub async fn insert_product(tx: &mut Tx, p: &NewProduct<'_>) -> Result<()> {
    q(
        "INSERT INTO products (id, name, scopes, audience, access_token_ttl, refresh_token_ttl,
                               refresh_family_ttl, created_at, updated_at, resources)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.id)
    .bind(p.name)
    .bind(p.scopes_json)
    .bind(p.audience)
    .bind(p.access_token_ttl)
    .bind(p.refresh_token_ttl)
    .bind(p.refresh_family_ttl)
    .bind(p.now)
    .bind(p.now)
    .bind(p.resources_json)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn list_products(pool: &Reader) -> Result<Vec<ProductRow>> {
    q("SELECT * FROM products ORDER BY created_at, id")
        .fetch_all(pool)
        .await
}

pub async fn find_product(pool: &Reader, id: &str) -> Result<Option<ProductRow>> {
    q("SELECT * FROM products WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Whether some product serves `target` (RFC 8707): it is the product's `audience` or one
/// of its `resources`.
pub async fn target_registered(pool: &Reader, target: &str) -> Result<bool> {
    let n: i64 = scalar(pool.engine().pick(
        "SELECT COUNT(*) FROM products p
         WHERE p.audience = $1
            OR EXISTS (SELECT 1 FROM json_each(p.resources) d WHERE d.value = $2)",
        "SELECT COUNT(*) FROM products p
         WHERE p.audience = $1
            OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.resources::jsonb) d(value)
                       WHERE d.value = $2)",
    ))
    .bind(target)
    .bind(target)
    .fetch_one(pool)
    .await?;
    Ok(n > 0)
}

/// A product's client as the admin API shows it.
#[derive(sqlx::FromRow)]
pub struct ProductClientRow {
    pub client_id: String,
    pub kind: String,
    pub scopes: String,
    /// A server client allowed token exchange.
    pub token_exchange: bool,
    #[sqlx(flatten)]
    app: AppColumns,
}

impl ProductClientRow {
    /// Its app settings (see [`AppSettings`]).
    pub fn app_settings(self) -> Result<AppSettings, StoreError> {
        let kind = ClientKind::parse(&self.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("client kind {:?}", self.kind)))?;
        self.app.settings(kind)
    }
}

pub async fn product_clients(pool: &Reader, product_id: &str) -> Result<Vec<ProductClientRow>> {
    q(concat!(
        "SELECT c.client_id, c.kind, c.scopes, c.token_exchange, ",
        app_columns!(),
        " FROM clients c WHERE c.product_id = $1 ORDER BY c.kind"
    ))
    .bind(product_id)
    .fetch_all(pool)
    .await
}

/// Replaces the secret hash of a product's server client; returns its client_id.
pub async fn rotate_server_secret(
    tx: &mut Tx,
    product_id: &str,
    secret_hash: &[u8],
    now: i64,
) -> Result<Option<String>> {
    tx.announce(Topic::Clients).await?;
    scalar(
        "UPDATE clients SET secret_hash = $1, secret_rotated_at = $2
         WHERE product_id = $3 AND kind = 'server' RETURNING client_id",
    )
    .bind(secret_hash)
    .bind(now)
    .bind(product_id)
    .fetch_optional(&mut *tx)
    .await
}

/// A short-lived in-memory copy of client rows for the token endpoint's hot path.
/// Changes made through this server clear it at once; changes made by another process
/// (the CLI) are seen within [`CLIENT_CACHE_TTL`].
#[derive(Default)]
pub struct ClientCache {
    /// Shared rows: a hit hands out a pointer, not a copy of the client.
    entries: std::sync::RwLock<
        std::collections::HashMap<String, (std::sync::Arc<Client>, std::time::Instant)>,
    >,
    /// Bumped by `clear`, so a row read before a change is not cached after it.
    generation: std::sync::atomic::AtomicU64,
    /// The origins clients allow (CORS), cleared with the rows.
    origins: origins::OriginCache,
}

pub const CLIENT_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);
const CLIENT_CACHE_MAX: usize = 10_000;

impl ClientCache {
    pub async fn get(
        &self,
        pool: &Reader,
        client_id: &str,
    ) -> Result<Option<std::sync::Arc<Client>>, StoreError> {
        if let Ok(map) = self.entries.read() {
            if let Some((client, at)) = map.get(client_id) {
                if at.elapsed() < CLIENT_CACHE_TTL {
                    return Ok(Some(std::sync::Arc::clone(client)));
                }
            }
        }
        let generation = self.generation.load(std::sync::atomic::Ordering::Acquire);
        let loaded = find_client(pool, client_id).await?.map(std::sync::Arc::new);
        if let (Some(client), Ok(mut map)) = (&loaded, self.entries.write()) {
            if self.generation.load(std::sync::atomic::Ordering::Acquire) != generation {
                return Ok(loaded);
            }
            if map.len() >= CLIENT_CACHE_MAX {
                map.clear();
            }
            map.insert(
                client_id.to_string(),
                (std::sync::Arc::clone(client), std::time::Instant::now()),
            );
        }
        Ok(loaded)
    }

    /// Forgets every cached client and the origins they allow (after any change to
    /// clients or products).
    pub fn clear(&self) {
        if let Ok(mut map) = self.entries.write() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            map.clear();
        }
        self.origins.clear();
    }

    /// Every client's allowed browser origins (in memory; see [`origins`]).
    pub async fn origins(
        &self,
        pool: &Reader,
    ) -> Result<std::sync::Arc<origins::Origins>, StoreError> {
        self.origins.get(pool).await
    }
}
