//! Reproducible fault injection for API requests.
//!
//! Each API request draws exactly three numbers from one seeded generator, in arrival order,
//! whatever the outcome; so with the same `--seed` and the same sequence of requests the
//! faults are the same.

use std::sync::Mutex;

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

#[cfg(test)]
mod tests {
    use super::*;

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
