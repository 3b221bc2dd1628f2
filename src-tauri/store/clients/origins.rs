//! The browser origins web clients allow (CORS, the token endpoint's `Origin` check): a
//! client's `allowed_origins`, or when it has none the origins of its login redirect URIs
//! (http and https ones); dynamically registered clients by their redirect URIs. Built from two queries and kept in memory, so a browser's
//! request costs no read; cleared with the client cache (every admin change, and the
//! cluster follower), and rebuilt at most every [`ORIGINS_TTL`] for changes made by
//! another process (the CLI).

use super::super::{from_json_list, Reader};
use crate::domain::redirect::origin_of;
use crate::error::StoreError;
use crate::store::sql::q;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a built set serves without a clear.
pub const ORIGINS_TTL: Duration = Duration::from_secs(10);

/// Every client's origins.
#[derive(Debug, Default)]
pub struct Origins {
    any: HashSet<String>,
    by_client: HashMap<String, HashSet<String>>,
}

impl Origins {
    /// Whether some client allows `origin`.
    pub fn any_allows(&self, origin: &str) -> bool {
        self.any.contains(origin)
    }
    /// Whether the client `client_id` allows `origin`.
    pub fn client_allows(&self, client_id: &str, origin: &str) -> bool {
        self.by_client
            .get(client_id)
            .is_some_and(|set| set.contains(origin))
    }
    fn add(&mut self, client_id: String, origin: String) {
        self.any.insert(origin.clone());
        self.by_client.entry(client_id).or_default().insert(origin);
    }
}

#[derive(Default)]
pub struct OriginCache {
    built: RwLock<Option<(Arc<Origins>, Instant)>>,
    /// Bumped by `clear`, so a set read before a change is not kept after it.
    generation: AtomicU64,
    /// One rebuild at a time: a burst of browser requests after a change reads once.
    loading: tokio::sync::Mutex<()>,
}

impl OriginCache {
    pub async fn get(&self, pool: &Reader) -> Result<Arc<Origins>, StoreError> {
        if let Some(o) = self.fresh() {
            return Ok(o);
        }
        let _one = self.loading.lock().await;
        if let Some(o) = self.fresh() {
            return Ok(o);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let loaded = Arc::new(load(pool).await?);
        if let Ok(mut built) = self.built.write() {
            if self.generation.load(Ordering::Acquire) == generation {
                *built = Some((Arc::clone(&loaded), Instant::now()));
            }
        }
        Ok(loaded)
    }

    fn fresh(&self) -> Option<Arc<Origins>> {
        let built = self.built.read().ok()?;
        let (o, at) = built.as_ref()?;
        (at.elapsed() < ORIGINS_TTL).then(|| Arc::clone(o))
    }

    /// Forgets the set (after any change to clients or their redirect URIs).
    pub fn clear(&self) {
        if let Ok(mut built) = self.built.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            *built = None;
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    client_id: String,
    value: Option<String>,
}

/// Products' web clients and enabled dynamic clients: their `allowed_origins`, and the
/// login redirect URIs of those without (dynamic clients always).
async fn load(pool: &Reader) -> Result<Origins, StoreError> {
    let mut out = Origins::default();
    let listed: Vec<Row> = q("SELECT client_id, allowed_origins AS value FROM clients
         WHERE kind = 'web' AND product_id IS NOT NULL AND allowed_origins IS NOT NULL")
    .fetch_all(pool)
    .await?;
    for row in listed {
        for origin in from_json_list(row.value.as_deref().unwrap_or("[]")) {
            out.add(row.client_id.clone(), origin);
        }
    }
    let uris: Vec<Row> = q(
        "SELECT r.client_id, r.uri AS value FROM client_redirect_uris r
         JOIN clients c ON c.client_id = r.client_id
         WHERE r.kind = 'login' AND c.allowed_origins IS NULL
               AND ((c.kind = 'web' AND c.product_id IS NOT NULL)
                    OR (c.kind = 'dynamic' AND c.disabled_at IS NULL))",
    )
    .fetch_all(pool)
    .await?;
    for row in uris {
        if let Some(origin) = row.value.as_deref().and_then(origin_of) {
            out.add(row.client_id, origin);
        }
    }
    Ok(out)
}
