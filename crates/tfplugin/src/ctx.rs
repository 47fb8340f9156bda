//! What every resource operation gets: the configured provider, cancellation (StopProvider),
//! a deadline (from the `timeouts` setting), the resource's private state, and
//! [`Ctx::wait_for`], the one polling loop every "wait until ready" uses.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// Private state: opaque bytes to Terraform, a JSON object of named entries to resources.
/// Terraform stores what apply returns, hands it to read, plan and the next apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Private(BTreeMap<String, serde_json::Value>);

impl Private {
    /// Decodes what Terraform stored; empty or foreign bytes give an empty state.
    pub fn from_bytes(bytes: &[u8]) -> Private {
        if bytes.is_empty() {
            return Private::default();
        }
        match serde_json::from_slice(bytes) {
            Ok(map) => Private(map),
            Err(e) => {
                tracing::warn!(error = %e, "private state is not a JSON object; starting empty");
                Private::default()
            }
        }
    }
    /// The bytes to hand back to Terraform (empty when there is nothing).
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.0.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&self.0).unwrap_or_default()
    }
    /// The entry `key`, if present and of type `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.0
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
    /// Sets (or with `None`, removes) the entry `key`.
    pub fn set<T: Serialize>(&mut self, key: &str, value: Option<&T>) {
        match value.and_then(|v| serde_json::to_value(v).ok()) {
            Some(v) => {
                self.0.insert(key.to_string(), v);
            }
            None => {
                self.0.remove(key);
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The context of one resource or data source operation.
pub struct Ctx<D> {
    /// The configured provider.
    pub provider: Arc<D>,
    /// Tripped by StopProvider (Ctrl-C in Terraform) and by the process shutting down.
    pub stop: CancellationToken,
    /// When the operation must give up (from `timeouts`, or the resource's default).
    pub deadline: Option<Instant>,
    /// The same deadline on tokio's clock, which waits and sleeps observe: the same instant
    /// in production, virtual time under a paused test clock (so timing tests need no real
    /// time).
    clock_deadline: Option<tokio::time::Instant>,
    private: Mutex<Private>,
}

/// Why a wait or a call ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// StopProvider: Terraform was interrupted.
    Stopped,
    /// The operation's deadline passed.
    DeadlineExceeded,
}

impl std::fmt::Display for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interrupt::Stopped => "Terraform asked the provider to stop (interrupt)",
            Interrupt::DeadlineExceeded => "the operation's timeout passed",
        })
    }
}

/// What one poll of [`Ctx::wait_for`] found.
pub enum Poll<T> {
    /// The condition holds.
    Ready(T),
    /// Not yet; the last known state.
    Pending(T),
    /// It will never hold (e.g. a sync failed): the last state and why. Returned at once.
    Failed(T, String),
}

/// How a wait ended when the condition was not reached.
#[derive(Debug)]
pub enum WaitError<T, E> {
    /// The condition can never hold; carries the last state and the reason.
    Failed(T, String),
    /// Stopped or out of time; carries the last state seen, if any poll answered.
    Interrupted(Option<T>, Interrupt),
    /// A poll failed; carries the last state seen before and the error.
    Poll(Option<T>, E),
}

/// Exponential backoff for [`Ctx::wait_for`].
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub factor: f64,
}

impl Default for Backoff {
    /// 250 ms, doubling up to 5 s.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(5),
            factor: 2.0,
        }
    }
}

impl<D> Ctx<D> {
    /// A context for one operation.
    pub fn new(
        provider: Arc<D>,
        stop: CancellationToken,
        deadline: Option<Instant>,
        private: Private,
    ) -> Self {
        let clock_deadline = deadline
            .map(|d| tokio::time::Instant::now() + d.saturating_duration_since(Instant::now()));
        Ctx {
            provider,
            stop,
            deadline,
            clock_deadline,
            private: Mutex::new(private),
        }
    }

    /// The private state entry `key`.
    pub fn private_get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.private
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
    }

    /// Sets (or removes) a private state entry; the server returns it to Terraform.
    pub fn private_set<T: Serialize>(&self, key: &str, value: Option<&T>) {
        self.private
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set(key, value)
    }

    /// The private state as it stands now.
    pub fn private(&self) -> Private {
        self.private
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the operation must stop now, and why.
    pub fn interrupted(&self) -> Option<Interrupt> {
        if self.stop.is_cancelled() {
            Some(Interrupt::Stopped)
        } else if self
            .clock_deadline
            .is_some_and(|d| tokio::time::Instant::now() >= d)
        {
            Some(Interrupt::DeadlineExceeded)
        } else {
            None
        }
    }

    /// Time left before the deadline (`None`: no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.clock_deadline
            .map(|d| d.saturating_duration_since(tokio::time::Instant::now()))
    }

    /// Sleeps for `d`, or less when stopped or out of time.
    ///
    /// # Errors
    /// The [`Interrupt`] that cut the sleep short.
    pub async fn sleep(&self, d: Duration) -> Result<(), Interrupt> {
        let d = self.remaining().map_or(d, |r| d.min(r));
        tokio::select! {
            _ = self.stop.cancelled() => Err(Interrupt::Stopped),
            _ = tokio::time::sleep(d) => match self.interrupted() {
                Some(i) => Err(i),
                None => Ok(()),
            },
        }
    }

    /// Runs `fut` unless stopped or out of time first.
    ///
    /// # Errors
    /// The [`Interrupt`]; `fut` is dropped then.
    pub async fn run<T>(&self, fut: impl Future<Output = T>) -> Result<T, Interrupt> {
        if let Some(i) = self.interrupted() {
            return Err(i);
        }
        let deadline = async {
            match self.remaining() {
                Some(r) => tokio::time::sleep(r).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            v = fut => Ok(v),
            _ = self.stop.cancelled() => Err(Interrupt::Stopped),
            _ = deadline => Err(Interrupt::DeadlineExceeded),
        }
    }

    /// Polls until `poll` reports [`Poll::Ready`], with `backoff` between polls, observing
    /// StopProvider and the deadline (a poll in flight is abandoned when either trips).
    ///
    /// # Errors
    /// [`WaitError`], always with the last state seen so the caller can record it.
    pub async fn wait_for<T, E, F, Fut>(
        &self,
        backoff: Backoff,
        mut poll: F,
    ) -> Result<T, WaitError<T, E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Poll<T>, E>>,
    {
        let mut last: Option<T> = None;
        let mut delay = backoff.initial;
        loop {
            match self.run(poll()).await {
                Err(i) => return Err(WaitError::Interrupted(last, i)),
                Ok(Err(e)) => return Err(WaitError::Poll(last, e)),
                Ok(Ok(Poll::Ready(v))) => return Ok(v),
                Ok(Ok(Poll::Failed(v, why))) => return Err(WaitError::Failed(v, why)),
                Ok(Ok(Poll::Pending(v))) => last = Some(v),
            }
            if let Err(i) = self.sleep(delay).await {
                return Err(WaitError::Interrupted(last, i));
            }
            delay = Duration::from_secs_f64(
                (delay.as_secs_f64() * backoff.factor).min(backoff.max.as_secs_f64()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn ctx(deadline: Option<Duration>) -> Ctx<()> {
        Ctx::new(
            Arc::new(()),
            CancellationToken::new(),
            deadline.map(|d| Instant::now() + d),
            Private::default(),
        )
    }

    fn fast() -> Backoff {
        Backoff {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
            factor: 2.0,
        }
    }

    #[tokio::test]
    async fn wait_for_returns_when_ready() {
        let n = AtomicU32::new(0);
        let r: Result<u32, WaitError<u32, ()>> = ctx(None)
            .wait_for(fast(), || async {
                let i = n.fetch_add(1, Ordering::SeqCst);
                Ok(if i >= 3 {
                    Poll::Ready(i)
                } else {
                    Poll::Pending(i)
                })
            })
            .await;
        assert_eq!(r.unwrap(), 3);
    }

    #[tokio::test]
    async fn wait_for_fails_fast_with_the_last_state() {
        let r: Result<u32, WaitError<u32, ()>> = ctx(None)
            .wait_for(fast(), || async {
                Ok(Poll::Failed(7, "sync failed".into()))
            })
            .await;
        assert!(matches!(r, Err(WaitError::Failed(7, ref m)) if m == "sync failed"));
    }

    /// On a paused clock: a 100 ms deadline ends a wait that would never be ready, after
    /// 100 ms of virtual time (not later), with the last state seen.
    #[tokio::test(start_paused = true)]
    async fn wait_for_observes_the_deadline_and_keeps_the_last_state() {
        let started = tokio::time::Instant::now();
        let r: Result<u32, WaitError<u32, ()>> = ctx(Some(Duration::from_millis(100)))
            .wait_for(fast(), || async { Ok(Poll::Pending(1)) })
            .await;
        assert!(matches!(
            r,
            Err(WaitError::Interrupted(Some(1), Interrupt::DeadlineExceeded))
        ));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(100) && waited < Duration::from_millis(150),
            "gave up after {waited:?} of virtual time"
        );
    }

    /// On a paused clock: the stop arrives 50 ms (virtual) into a poll that would take 30 s,
    /// and the wait must end then, not when the poll does. Deterministic under any load.
    #[tokio::test(start_paused = true)]
    async fn wait_for_observes_stop_during_a_slow_poll() {
        let c = ctx(None);
        let stop = c.stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            stop.cancel();
        });
        let started = tokio::time::Instant::now();
        let r: Result<u32, WaitError<u32, ()>> = c
            .wait_for(fast(), || async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(Poll::Ready(1))
            })
            .await;
        assert!(matches!(
            r,
            Err(WaitError::Interrupted(None, Interrupt::Stopped))
        ));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "stopped after {:?} of virtual time",
            started.elapsed()
        );
    }

    #[test]
    fn private_state_round_trips_and_tolerates_foreign_bytes() {
        let mut p = Private::default();
        assert!(p.to_bytes().is_empty());
        p.set("token_secret", Some(&"kube-system/sa-token"));
        let back = Private::from_bytes(&p.to_bytes());
        assert_eq!(
            back.get::<String>("token_secret").as_deref(),
            Some("kube-system/sa-token")
        );
        assert!(Private::from_bytes(b"\x00garbage").is_empty());
        p.set::<String>("token_secret", None);
        assert!(p.is_empty());
    }
}
