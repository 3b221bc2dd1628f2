//! One-shot CLI commands that work on the data dir directly (the server may be running):
//! `superadmin create`, `admin-client create | rotate-secret | list`; `restore`, which
//! refuses a data dir that a running server has open; and `master-key create`. None of
//! them opens the signing keys, so none needs the key-encryption key (`restore` only
//! compares it with the backup's when given `--master-key-file`).

use crate::admin::{validate_email, validate_password};
use crate::audit::{kind, Event};
use crate::crypto::{hash_password, random_token, sha256};
use crate::store::clients::{edit, insert_client, ClientKind, NewClient};
use crate::store::users::{insert_user, NewUser};
use crate::store::{now, Db};
use serde_json::{json, Value};
use std::path::Path;

const ADMIN_CLIENT_SECRET_ROTATED: &str = "admin.admin_client.secret_rotated";

/// Where a command finds the database: `url` as `serve --database-url` (a cluster's
/// PostgreSQL), else `tessera.db` in `data_dir`.
#[derive(Clone, Copy)]
pub struct Database<'a> {
    pub data_dir: &'a Path,
    pub url: Option<&'a str>,
}

async fn open(db: Database<'_>) -> Result<Db, String> {
    if db.url.is_none() {
        std::fs::create_dir_all(db.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", db.data_dir.display()))?;
    }
    Db::open(db.data_dir, db.url)
        .await
        .map_err(|e| e.to_string())
}

/// Creates the first (or another) super-admin; returns `{"id","email"}`.
pub async fn create_superadmin(
    database: Database<'_>,
    email: &str,
    password: &str,
) -> Result<Value, String> {
    let email = validate_email(email).map_err(|e| e.message)?;
    validate_password(password).map_err(|e| e.message)?;
    let db = open(database).await?;
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
pub async fn create_admin_client(database: Database<'_>, name: &str) -> Result<Value, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("--name must be 1-200 characters".into());
    }
    let db = open(database).await?;
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
pub async fn rotate_admin_client_secret(
    database: Database<'_>,
    client_id: &str,
) -> Result<Value, String> {
    let db = open_existing(database).await?;
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
pub async fn list_admin_clients(database: Database<'_>) -> Result<Value, String> {
    let db = open_existing(database).await?;
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

/// Opens a database that must already exist (a data dir's, or the one at the URL).
async fn open_existing(db: Database<'_>) -> Result<Db, String> {
    if db.url.is_none() && !db.data_dir.join("tessera.db").exists() {
        return Err(format!("no Tessera database in {}", db.data_dir.display()));
    }
    open(db).await
}

/// Restores an encrypted backup into `data_dir` (see [`crate::backup::restore`]); returns
/// `{"data_dir", "restored": [{"file", "bytes"}], "replaced", "notes"}`.
pub async fn restore(
    file: &Path,
    data_dir: &Path,
    force: bool,
    master_key_file: Option<&Path>,
    passphrase: impl FnOnce() -> Result<age::secrecy::SecretString, String>,
) -> Result<Value, String> {
    let target = crate::backup::restore::Target {
        data_dir,
        force,
        master_key_file,
    };
    let done = crate::backup::restore::restore(file, target, passphrase).await?;
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

/// Writes a new random key-encryption key to `path` (mode 0600, never over an existing
/// file) for `serve --master-key-file`; returns `{"path", "bytes"}` (never the key).
pub fn create_master_key(path: &Path) -> Result<Value, String> {
    use crate::keys::{create_key_file, KEK_BYTES};
    let key = crate::crypto::random_bytes(KEK_BYTES);
    create_key_file(path, &key).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!(
            "{} already exists: it is never replaced (a key in use cannot be swapped: the \
             stored signing keys only open with the key that sealed them)",
            path.display()
        ),
        _ => format!("cannot create the key file: {e}"),
    })?;
    Ok(json!({"path": path.display().to_string(), "bytes": KEK_BYTES}))
}
