//! Reproducible fault injection for API requests.
//!
//! Each API request draws exactly three numbers from one seeded generator, in arrival order,
//! whatever the outcome; so with the same `--seed` and the same sequence of requests the
//! faults are the same.
//!
//! Besides the random faults, a test can arm a fault for one request of one operation
//! ([`Armed`], `POST /_emulator/faults`): the `skip + 1`-th request of that operation that
//! passes the random faults gets it, once, whatever the arrival order of other requests.

use std::sync::Mutex;

use super::error::ApiError;

/// What to do to a request before it is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// Handle it normally.
    Pass,
    /// Answer 503, code 14.
    Unavailable,
    /// Answer 429, code 8, `Retry-After: 1`.
    TooManyRequests,
    /// Close the connection without any response.
    Drop,
}

/// The faults decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub before: Before,
    /// Handle the request (apply the change), then close the connection without a response.
    pub drop_after: bool,
}

/// The fault generator.
pub struct Faults {
    rate: f64,
    after_rate: f64,
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    /// `rate`: share of requests failed before any state change; `after_rate`: share of
    /// requests whose connection is dropped after the change was applied.
    pub fn new(rate: f64, after_rate: f64, seed: u64) -> Faults {
        Faults {
            rate,
            after_rate,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }

    /// Draws the decision for the next API request.
    pub fn draw(&self) -> Decision {
        let (a, b, c) = {
            let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            (rng.f64(), rng.f64(), rng.f64())
        };
        let before = if a < self.rate {
            match (b * 3.0) as u32 {
                0 => Before::Unavailable,
                1 => Before::TooManyRequests,
                _ => Before::Drop,
            }
        } else {
            Before::Pass
        };
        Decision {
            before,
            drop_after: before == Before::Pass && c < self.after_rate,
        }
    }
}

/// What an armed fault does to the request it fires on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArmedAction {
    /// Answer this error; nothing changes.
    Error(ApiError),
    /// Handle the request (apply the change), then close the connection without a response.
    DropAfter,
    /// Serve the manifest (or Helm overrides), then rotate that agent's token, as if someone
    /// regenerated its credentials at that moment: the manifest's token no longer works.
    RotateAgentTokenAfterManifest,
}

impl ArmedAction {
    /// The counter name part: `error` or `dropAfter`.
    pub fn kind(&self) -> &'static str {
        match self {
            ArmedAction::Error(_) => "error",
            ArmedAction::DropAfter => "dropAfter",
            ArmedAction::RotateAgentTokenAfterManifest => "rotateAgentTokenAfterManifest",
        }
    }
}

/// A fault armed for one request of one operation (e.g. `repositories.update`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Armed {
    /// The operation's request counter name.
    pub op: String,
    /// How many matching requests pass before it fires.
    pub skip: u64,
    pub action: ArmedAction,
}

/// The armed faults not fired yet.
#[derive(Default)]
pub struct ArmedFaults {
    pending: Mutex<Vec<Armed>>,
}

impl ArmedFaults {
    /// Arms `a`.
    pub fn arm(&self, a: Armed) {
        self.lock().push(a);
    }

    /// Disarms every pending fault; returns how many there were.
    pub fn clear(&self) -> usize {
        std::mem::take(&mut *self.lock()).len()
    }

    /// How many are pending.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Offers a request of operation `op` to the armed faults: the first of that operation
    /// with nothing left to skip fires (and is removed); the others of that operation count
    /// the request as one skipped.
    pub fn take(&self, op: &str) -> Option<ArmedAction> {
        let mut pending = self.lock();
        let mut fired = None;
        let mut i = 0;
        while i < pending.len() {
            if pending[i].op != op {
                i += 1;
            } else if fired.is_none() && pending[i].skip == 0 {
                fired = Some(pending.remove(i).action);
            } else {
                pending[i].skip = pending[i].skip.saturating_sub(1);
                i += 1;
            }
        }
        fired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Armed>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_armed_fault_fires_once_on_its_request() {
        let armed = ArmedFaults::default();
        armed.arm(Armed {
            op: "repositories.create".into(),
            skip: 1,
            action: ArmedAction::DropAfter,
        });
        armed.arm(Armed {
            op: "repositories.update".into(),
            skip: 0,
            action: ArmedAction::Error(ApiError::invalid("refused")),
        });
        assert_eq!(armed.take("repositories.get"), None);
        assert_eq!(
            armed.take("repositories.create"),
            None,
            "the first is skipped"
        );
        assert_eq!(
            armed.take("repositories.create"),
            Some(ArmedAction::DropAfter),
            "the second fires"
        );
        assert_eq!(armed.take("repositories.create"), None, "once");
        assert_eq!(armed.pending(), 1);
        assert_eq!(
            armed.take("repositories.update"),
            Some(ArmedAction::Error(ApiError::invalid("refused")))
        );
        assert_eq!(armed.take("repositories.update"), None);
        armed.arm(Armed {
            op: "clusters.update".into(),
            skip: 0,
            action: ArmedAction::DropAfter,
        });
        armed.arm(Armed {
            op: "clusters.update".into(),
            skip: 0,
            action: ArmedAction::DropAfter,
        });
        assert!(armed.take("clusters.update").is_some());
        assert!(armed.take("clusters.update").is_some(), "one request each");
        armed.arm(Armed {
            op: "clusters.update".into(),
            skip: 5,
            action: ArmedAction::DropAfter,
        });
        assert_eq!(armed.clear(), 1);
        assert_eq!(armed.pending(), 0);
    }

    #[test]
    fn same_seed_same_faults_and_rates_hold() {
        let a = Faults::new(0.3, 0.1, 7);
        let b = Faults::new(0.3, 0.1, 7);
        let xs: Vec<_> = (0..500).map(|_| a.draw()).collect();
        let ys: Vec<_> = (0..500).map(|_| b.draw()).collect();
        assert_eq!(xs, ys);
        let faulted = xs.iter().filter(|d| d.before != Before::Pass).count();
        assert!(
            (100..200).contains(&faulted),
            "{faulted} of 500 at rate 0.3"
        );
        for kind in [Before::Unavailable, Before::TooManyRequests, Before::Drop] {
            assert!(xs.iter().any(|d| d.before == kind), "{kind:?} never drawn");
        }
        let none = Faults::new(0.0, 0.0, 1);
        assert!((0..200).all(|_| none.draw()
            == Decision {
                before: Before::Pass,
                drop_after: false
            }));
    }
}
