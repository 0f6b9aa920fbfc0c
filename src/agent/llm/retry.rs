//! Backoff with jitter, and reading `Retry-After`. Pure: the generator and the current time are
//! passed in.

use std::time::{Duration, SystemTime};

use rand::RngCore;

use super::config::RetryPolicy;
use crate::engine::Rng;

/// The backoff after `failed` failed attempts (1-based): the exponential cap
/// `min(max_delay, base_delay × 2^(failed-1))`, of which the upper half is jittered
/// ("equal jitter": a delay in `[cap/2, cap]`).
#[must_use]
pub fn backoff(policy: &RetryPolicy, failed: u32, rng: &mut Rng) -> Duration {
    let exp = failed.saturating_sub(1).min(30);
    let cap = policy
        .base_delay
        .saturating_mul(1u32 << exp)
        .min(policy.max_delay);
    let half = cap / 2;
    // 53 random bits: exactly representable as an f64 fraction in [0, 1).
    let fraction = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    half + (cap - half).mul_f64(fraction)
}

/// The wait before the next attempt: the backoff, or the server's `Retry-After` (capped at
/// `max_retry_after`) when that is longer.
#[must_use]
pub fn next_delay(
    policy: &RetryPolicy,
    failed: u32,
    retry_after: Option<Duration>,
    rng: &mut Rng,
) -> Duration {
    let b = backoff(policy, failed, rng);
    match retry_after {
        Some(ra) => b.max(ra.min(policy.max_retry_after)),
        None => b,
    }
}

/// The delay a server asks for: `retry-after-ms` (milliseconds, as some OpenAI-compatible
/// services send), else `Retry-After` as seconds (fractions accepted) or an HTTP date
/// (relative to `now`; a date in the past means no wait).
#[must_use]
pub fn parse_retry_after(
    retry_after: Option<&str>,
    retry_after_ms: Option<&str>,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok())
        && let Ok(d) = Duration::try_from_secs_f64(ms / 1000.0)
    {
        return Some(d);
    }
    let v = retry_after?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let date = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let at = SystemTime::from(date.with_timezone(&chrono::Utc));
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng_from_seed;

    #[test]
    fn backoff_grows_and_stays_in_bounds() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        let mut rng = rng_from_seed(1);
        for failed in 1..=40 {
            let cap = Duration::from_millis(100)
                .saturating_mul(1 << (failed - 1).min(30))
                .min(Duration::from_millis(1000));
            let d = backoff(&policy, failed, &mut rng);
            assert!(d >= cap / 2 && d <= cap, "{failed}: {d:?} vs {cap:?}");
        }
        let a = backoff(&policy, 3, &mut rng_from_seed(9));
        assert_eq!(a, backoff(&policy, 3, &mut rng_from_seed(9)));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after(Some("2"), None, now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after(Some("0.25"), None, now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after(Some("1"), Some("40"), now),
            Some(Duration::from_millis(40))
        );
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(
            parse_retry_after(Some("Sun, 06 Nov 1994 08:49:47 GMT"), None, now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after(Some("Sun, 06 Nov 1994 08:00:00 GMT"), None, now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(Some("soon"), None, now), None);
        assert_eq!(parse_retry_after(Some("-3"), None, now), None);
        assert_eq!(parse_retry_after(None, None, now), None);
    }

    #[test]
    fn retry_after_is_capped_and_never_shortens_the_backoff() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_retry_after: Duration::from_millis(50),
            ..RetryPolicy::default()
        };
        let mut rng = rng_from_seed(3);
        let d = next_delay(&policy, 1, Some(Duration::from_secs(30)), &mut rng);
        assert_eq!(d, Duration::from_millis(50));
        let d = next_delay(&policy, 1, Some(Duration::ZERO), &mut rng);
        assert!(d >= Duration::from_millis(5));
    }
}
