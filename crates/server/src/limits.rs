//! Per-request limits: a timeout (504) and a per-token rate limit (429),
//! both applied by the observing middleware before the handler runs.
use crate::error::ApiError;
use patchbay_domain::Actor;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the operator configured; the default has a timeout and no rate limit.
#[derive(Debug)]
pub struct Limits {
    /// `None`: requests may run as long as they need.
    pub request_timeout: Option<Duration>,
    /// `None` (the default): no rate limit.
    pub rate_limit: Option<RateLimiter>,
    /// How large expansion may make one value and a whole bundle, wherever
    /// a bundle is built (resolutions, dry runs, claims).
    pub bundle: patchbay_resolve::Bounds,
}

pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for Limits {
    fn default() -> Self {
        Self {
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            rate_limit: None,
            bundle: patchbay_resolve::Bounds::default(),
        }
    }
}

/// Buckets kept before idle ones are dropped, so a flood of distinct
/// tokens cannot grow the map without bound.
const MAX_BUCKETS: usize = 10_000;

/// A token bucket per caller (organization and user): `per_second` requests a second on
/// average, bursts of up to `burst`.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    /// Keyed by a hash of the caller's organization and user id.
    buckets: Mutex<HashMap<u64, Bucket>>,
    hasher: RandomState,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self { per_second, burst, buckets: Mutex::new(HashMap::new()), hasher: RandomState::new() }
    }

    /// Takes one request from the bucket of the verified caller: its
    /// organization and user, however the token was spelled (`Bearer`,
    /// `UserKey`, bare) and whichever of its tokens it used. Requests
    /// without a valid token are not limited here: they are refused (401)
    /// by authentication.
    pub fn check(&self, caller: &Actor) -> Result<(), ApiError> {
        let key = self.hasher.hash_one((caller.organization.as_str(), caller.user_id.as_deref()));
        self.take(key, Instant::now())
    }

    fn take(&self, key: u64, now: Instant) -> Result<(), ApiError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: self.burst, at: now });
        let refilled = bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = refilled.min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / self.per_second;
        Err(ApiError::TooManyRequests { retry_after: wait.ceil().max(1.0) as u64 })
    }
}

/// `1MiB`, `512KiB`, `64K`, `2M`, or a plain number of bytes; at least 1 KiB.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let at = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(at);
    let number: usize =
        number.parse().map_err(|_| format!("`{text}` is not a size such as 1MiB or 512KiB"))?;
    let scale = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" | "KB" => 1024,
        "M" | "MiB" | "MB" => 1024 * 1024,
        _ => return Err(format!("`{text}`: the unit must be B, KiB or MiB")),
    };
    match number.checked_mul(scale) {
        Some(bytes) if bytes >= 1024 => Ok(bytes),
        Some(_) => Err(format!("`{text}`: at least 1KiB")),
        None => Err(format!("`{text}` is out of range")),
    }
}

/// `30s`, `500ms`, `2m`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration such as 30s, 500ms or 2m"))?;
    let seconds = match unit {
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_at_the_rate() {
        let limiter = RateLimiter::new(2.0, 2);
        let start = Instant::now();
        assert!(limiter.take(1, start).is_ok());
        assert!(limiter.take(1, start).is_ok());
        match limiter.take(1, start) {
            Err(ApiError::TooManyRequests { retry_after }) => assert_eq!(retry_after, 1),
            other => panic!("{other:?}"),
        }
        assert!(limiter.take(2, start).is_ok(), "another token has its own bucket");
        assert!(limiter.take(1, start + Duration::from_millis(500)).is_ok());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1MiB"), Ok(1024 * 1024));
        assert_eq!(parse_size("512KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12").unwrap_err().contains("at least"));
        assert!(parse_size("1GiB").unwrap_err().contains("unit"));
        assert!(parse_size("big").is_err());
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("5 parsecs").unwrap_err().contains("unit"));
        assert!(parse_duration("soon").is_err());
    }
}
