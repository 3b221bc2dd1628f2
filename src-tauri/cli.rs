//! One-shot CLI commands that work on the data dir directly (the server may be running):
//! `superadmin create`, `admin-client create | rotate-secret | list`; and `restore`, which
//! refuses a data dir that a running server has open.

use crate::admin::{validate_email, validate_password};
use crate::audit::{kind, Event};
use crate::crypto::{hash_password, random_token, sha256};
use crate::store::clients::{edit, insert_client, ClientKind, NewClient};
use crate::store::users::{insert_user, NewUser};
use crate::store::{now, Db};
use serde_json::{json, Value};
use std::path::Path;

const ADMIN_CLIENT_SECRET_ROTATED: &str = "admin.admin_client.secret_rotated";

/// Where a command finds the data: the data dir and, when the database is not the dir's
/// SQLite file, its URL (`--database-url`, as for `serve`).
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub data_dir: &'a Path,
    pub database_url: Option<&'a str>,
}

async fn open(at: Place<'_>) -> Result<Db, String> {
    std::fs::create_dir_all(at.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", at.data_dir.display()))?;
    Db::open(at.data_dir, at.database_url)
        .await
        .map_err(|e| e.to_string())
}

/// Creates the first (or another) super-admin; returns `{"id","email"}`.
pub async fn create_superadmin(
    at: Place<'_>,
    email: &str,
    password: &str,
) -> Result<Value, String> {
    let email = validate_email(email).map_err(|e| e.message)?;
    validate_password(password).map_err(|e| e.message)?;
    let db = open(at).await?;
    let hash = hash_password(password);
    let id = uuid::Uuid::now_v7().to_string();
    let result = async {
        let mut tx = db.begin().await.map_err(|e| e.to_string())?;
        let user = NewUser {
            id: &id,
            email: &email,
            name: None,
            password_hash: &hash,
            is_superadmin: true,
            now: now(),
        };
        insert_user(&mut tx, &user)
            .await
            .map_err(|e| e.to_string())?;
        Event::success(kind::SUPERADMIN_CREATED)
            .actor("cli")
            .subject(&id)
            .detail(json!({"email": email}))
            .write(&mut tx)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())
    }
    .await;
    db.close().await;
    result.map(|_| json!({"id": id, "email": email}))
}

/// Creates a confidential client allowed the `admin` scope; the secret is shown once.
pub async fn create_admin_client(at: Place<'_>, name: &str) -> Result<Value, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("--name must be 1-200 characters".into());
    }
    let db = open(at).await?;
    let client_id = format!("adm_{}", random_token(16));
    let secret = random_token(32);
    let result = async {
        let mut tx = db.begin().await.map_err(|e| e.to_string())?;
        let hash = sha256(&secret);
        let client = NewClient {
            client_id: &client_id,
            product_id: None,
            kind: ClientKind::Admin,
            name,
            secret_hash: Some(&hash),
            scopes_json: "[\"admin\"]",
            now: now(),
        };
        insert_client(&mut tx, &client)
            .await
            .map_err(|e| e.to_string())?;
        Event::success(kind::ADMIN_CLIENT_CREATED)
            .actor("cli")
            .subject(&client_id)
            .client(&client_id)
            .detail(json!({"name": name}))
            .write(&mut tx)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())
    }
    .await;
    db.close().await;
    result.map(|_| json!({"client_id": client_id, "client_secret": secret}))
}

/// Gives an admin client a new secret (shown once); the old one stops working at once
/// for new token requests (a running server may keep the old row cached for up to
/// `CLIENT_CACHE_TTL`, 2 s). Tokens it already holds stay valid until they expire.
pub async fn rotate_admin_client_secret(at: Place<'_>, client_id: &str) -> Result<Value, String> {
    let db = open_existing(at).await?;
    let secret = random_token(32);
    let result = async {
        let mut tx = db.begin().await.map_err(|e| e.to_string())?;
        let found = edit::rotate_admin_secret(&mut tx, client_id, &sha256(&secret), now())
            .await
            .map_err(|e| e.to_string())?;
        if !found {
            return Err(format!("no admin client with id {client_id:?}"));
        }
        Event::success(ADMIN_CLIENT_SECRET_ROTATED)
            .actor("cli")
            .subject(client_id)
            .client(client_id)
            .write(&mut tx)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())
    }
    .await;
    db.close().await;
    result.map(|_| json!({"client_id": client_id, "client_secret": secret}))
}

/// Lists admin clients (never their secrets).
pub async fn list_admin_clients(at: Place<'_>) -> Result<Value, String> {
    let db = open_existing(at).await?;
    let rows = edit::list_admin_clients(&db.read).await;
    db.close().await;
    let rows = rows.map_err(|e| e.to_string())?;
    let list: Vec<Value> = rows
        .iter()
        .map(|c| {
            json!({"client_id": c.client_id, "name": c.name, "created_at": c.created_at,
                   "secret_rotated_at": c.secret_rotated_at})
        })
        .collect();
    Ok(json!({ "admin_clients": list }))
}

/// Opens the database of a data dir that must already hold one.
async fn open_existing(at: Place<'_>) -> Result<Db, String> {
    if at.database_url.is_none() && !at.data_dir.join("tessera.db").exists() {
        return Err(format!("no Tessera database in {}", at.data_dir.display()));
    }
    open(at).await
}

/// Restores an encrypted backup into `data_dir` (see [`crate::backup::restore`]); returns
/// `{"data_dir", "restored": [{"file", "bytes"}], "replaced", "notes"}`.
pub async fn restore(
    file: &Path,
    data_dir: &Path,
    force: bool,
    passphrase: impl FnOnce() -> Result<age::secrecy::SecretString, String>,
) -> Result<Value, String> {
    let done = crate::backup::restore::restore(file, data_dir, force, passphrase).await?;
    let files: Vec<Value> = done
        .files
        .iter()
        .map(|(name, bytes)| json!({"file": name, "bytes": bytes}))
        .collect();
    Ok(json!({
        "data_dir": data_dir.display().to_string(),
        "restored": files,
        "replaced": done.replaced,
        "notes": done.notes,
    }))
}
