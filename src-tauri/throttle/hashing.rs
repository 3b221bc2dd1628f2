//! Bounds password hashing (argon2id, 19 MiB and ~tens of ms of CPU each): at most N
//! hashes run at once, a few more may wait briefly, and each client IP may hold only a
//! couple of places, so one flooding source cannot push a real user out of the queue.
//! Whatever does not fit is refused at once (HTTP 503 + Retry-After), never queued without
//! bound. Hashes run on N dedicated threads rather than tokio's blocking pool: that pool
//! grows a thread whenever none is idle, and each new thread's malloc arena keeps its own
//! freed 19 MiB (measured: 348 MiB peak with one hash at a time). With N threads and the
//! working memories reused (`crypto::hash_into`), memory stays under N × 19 MiB for
//! hashing however many requests arrive.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// How long a hash may wait for a free runner before the request is refused.
pub const MAX_WAIT: Duration = Duration::from_millis(1500);
/// Places (running or waiting) one client IP may hold at once.
pub const PER_SOURCE: usize = 2;
/// Waiting places per runner, over all sources.
const QUEUE_PER_RUNNER: usize = 16;
/// What a refused request is told to wait (seconds).
pub const BUSY_RETRY_AFTER: u16 = 2;

/// Why a hash did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashRefused {
    #[error("password hashing is busy")]
    Busy,
    #[error("password hashing failed")]
    Failed,
}

type Job = Box<dyn FnOnce() + Send + 'static>;

pub struct HashLimiter {
    permits: usize,
    /// Runners: one permit per hash handed to a thread.
    running: Arc<Semaphore>,
    /// Places: running or waiting.
    places: Arc<Semaphore>,
    per_source: Arc<Mutex<HashMap<String, usize>>>,
    /// To the hashing threads; they end when this is dropped.
    jobs: mpsc::Sender<Job>,
}

impl HashLimiter {
    /// `permits` hashes at once, on as many threads; `None` = the number of cores.
    pub fn new(permits: Option<usize>) -> std::io::Result<HashLimiter> {
        let permits = permits
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(1)
            .max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..permits {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("tessera-hash-{i}"))
                .spawn(move || loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })?;
        }
        Ok(HashLimiter {
            permits,
            running: Arc::new(Semaphore::new(permits)),
            places: Arc::new(Semaphore::new(permits * (1 + QUEUE_PER_RUNNER))),
            per_source: Arc::default(),
            jobs,
        })
    }

    /// How many hashes may run at once.
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Runs `work` (a hash) on a hashing thread once one is free. `source` is the client
    /// IP key, if known. The permits are released when `work` ends, even if the request
    /// that asked for it is gone by then.
    pub async fn run<T: Send + 'static>(
        &self,
        source: Option<&str>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashRefused> {
        let source = match source {
            Some(s) => Some(SourceSlot::take(&self.per_source, s).ok_or(HashRefused::Busy)?),
            None => None,
        };
        let place = self
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| HashRefused::Busy)?;
        let runner = tokio::time::timeout(MAX_WAIT, self.running.clone().acquire_owned())
            .await
            .map_err(|_| HashRefused::Busy)?
            .map_err(|_| HashRefused::Busy)?;
        let held = Held {
            _runner: runner,
            _place: place,
            _source: source,
        };
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic must not take the thread (and its share of the bound) with it.
            let out = catch_unwind(AssertUnwindSafe(work));
            drop(held);
            let _ = done.send(out);
        });
        self.jobs.send(job).map_err(|_| HashRefused::Failed)?;
        match result.await {
            Ok(Ok(value)) => Ok(value),
            _ => Err(HashRefused::Failed),
        }
    }
}

/// Everything a running hash holds; dropped together when it ends.
struct Held {
    _runner: OwnedSemaphorePermit,
    _place: OwnedSemaphorePermit,
    _source: Option<SourceSlot>,
}

/// One of a source's places; gives it back on drop.
struct SourceSlot {
    map: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl SourceSlot {
    fn take(map: &Arc<Mutex<HashMap<String, usize>>>, key: &str) -> Option<SourceSlot> {
        let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(key.to_string()).or_insert(0);
        if *n >= PER_SOURCE {
            return None;
        }
        *n += 1;
        Some(SourceSlot {
            map: map.clone(),
            key: key.to_string(),
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_source_gets_two_places_others_still_run() {
        let limiter = Arc::new(HashLimiter::new(Some(1)).unwrap());
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(Mutex::new(rx));
        // Two long hashes from one source take its places (one runs, one waits).
        let mut held = Vec::new();
        for _ in 0..2 {
            let (l, rx) = (limiter.clone(), rx.clone());
            held.push(tokio::spawn(async move {
                l.run(Some("a"), move || {
                    let _ = rx.lock().unwrap().recv();
                })
                .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            limiter.run(Some("a"), || ()).await,
            Err(HashRefused::Busy),
            "a third from the same source is refused at once"
        );
        // Another source queues behind them and runs once they finish.
        let l = limiter.clone();
        let other = tokio::spawn(async move { l.run(Some("b"), || 7).await });
        tx.send(()).unwrap();
        tx.send(()).unwrap();
        for h in held {
            assert_eq!(h.await.unwrap(), Ok(()));
        }
        assert_eq!(other.await.unwrap(), Ok(7));
        assert!(limiter.per_source.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn never_more_than_n_at_once_and_waits_are_bounded() {
        let limiter = Arc::new(HashLimiter::new(Some(2)).unwrap());
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..40 {
            let (l, now, peak) = (limiter.clone(), now.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                l.run(Some(&format!("s{i}")), move || {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(200));
                    now.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        let mut ran = 0;
        let mut busy = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ran += 1,
                Err(HashRefused::Busy) => busy += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
        // 1.5 s of waiting at 2 × 200 ms: about 16 run, the rest are refused.
        assert!(ran >= 2 && busy >= 10, "ran {ran}, busy {busy}");
    }
}
