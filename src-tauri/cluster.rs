//! What a node does to stay in step with the other nodes of a PostgreSQL cluster: it
//! follows their change notices (`store::changes`) and drops or reloads its caches, and it
//! reloads anyway every [`SAFETY_NET`] in case a notice was lost. On SQLite there are no
//! other nodes and this returns at once.

use crate::state::Shared;
use crate::store::changes::{Follower, Notice, Topic};
use std::time::Duration;

/// Reload interval when no notice comes (notices normally arrive within milliseconds).
const SAFETY_NET: Duration = Duration::from_secs(10);

/// Runs until the server stops.
pub async fn follow_changes(state: Shared) {
    let mut stopping = state.stopping.clone();
    let mut follower = loop {
        match Follower::start(&state.db).await {
            Ok(Some(f)) => break f,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for the cluster's changes; retrying");
                tokio::select! {
                    _ = stopping.changed() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    let mut safety_net = tokio::time::interval(SAFETY_NET);
    safety_net.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let heard = tokio::select! {
            _ = stopping.changed() => return,
            heard = follower.next() => Some(heard),
            _ = safety_net.tick() => None,
        };
        match heard {
            Some(Ok(Notice::Changed(Topic::Clients))) => state.clients.clear(),
            Some(Ok(Notice::Changed(Topic::Keys))) => reload_keys(&state).await,
            Some(Ok(Notice::Resync)) | None => {
                state.clients.clear();
                reload_keys(&state).await;
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "lost the cluster's change notices; reconnecting");
                tokio::time::sleep(Duration::from_secs(1)).await;
                state.clients.clear();
                reload_keys(&state).await;
            }
        }
    }
}

async fn reload_keys(state: &Shared) {
    if let Err(e) = state.keys.reload(&state.db).await {
        tracing::error!(error = %e, "cannot reload signing keys");
    }
}
