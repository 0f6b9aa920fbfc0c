//! Session ids: 128-bit, globally unique, time-ordered (the ULID layout).
//!
//! The top 48 bits are the creation time in milliseconds since the Unix epoch, the low 80 bits
//! come from the operating system's random source. The text form is 26 characters of Crockford
//! base32 (`0-9A-Z` without `I L O U`); the byte form is 16 bytes big-endian. Both sort in
//! creation order, so ids from two annotators' stores can be merged without clashes and a
//! range scan over ids is a scan over time.
//!
//! Within one process ids are strictly increasing: a second id in the same millisecond takes
//! the previous random part plus one (the ULID "monotonic" rule).

use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeZone, Utc};
use rand::{RngCore, TryRngCore};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_BITS: u32 = 80;
const RANDOM_MASK: u128 = (1 << RANDOM_BITS) - 1;
/// The largest timestamp that fits in 48 bits.
const MAX_MS: u64 = (1 << 48) - 1;

/// A session id. See the module documentation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(u128);

/// The last id handed out by this process, for monotonic generation.
static LAST: Mutex<u128> = Mutex::new(0);

impl SessionId {
    /// A new id stamped with the current time.
    #[must_use]
    pub fn generate() -> Self {
        let now = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        Self::generate_at(now)
    }

    /// A new id stamped with `ms` (milliseconds since the epoch, clamped to 48 bits), still
    /// greater than every id this process generated before.
    #[must_use]
    pub fn generate_at(ms: u64) -> Self {
        let fresh = Self::from_parts(ms, random_80());
        let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
        let id = if fresh.0 > *last {
            fresh.0
        } else {
            // Same (or an earlier) millisecond as the previous id: count up from it. The
            // increment carries into the timestamp only after 2^80 ids in one millisecond.
            last.wrapping_add(1)
        };
        *last = id;
        Self(id)
    }

    /// The id with the given timestamp (clamped to 48 bits) and random part (low 80 bits).
    #[must_use]
    pub const fn from_parts(ms: u64, random: u128) -> Self {
        let ms = if ms > MAX_MS { MAX_MS } else { ms };
        Self(((ms as u128) << RANDOM_BITS) | (random & RANDOM_MASK))
    }

    /// The smallest id with timestamp `ms`: the lower bound of a time range scan.
    #[must_use]
    pub const fn first_at(ms: u64) -> Self {
        Self::from_parts(ms, 0)
    }

    /// The largest id with timestamp `ms`: the upper bound of a time range scan.
    #[must_use]
    pub const fn last_at(ms: u64) -> Self {
        Self::from_parts(ms, RANDOM_MASK)
    }

    /// The creation time in milliseconds since the epoch.
    #[must_use]
    pub const fn timestamp_ms(self) -> u64 {
        // The shift leaves 48 significant bits, so the cast is lossless.
        (self.0 >> RANDOM_BITS) as u64
    }

    /// The creation time.
    #[must_use]
    pub fn created_at(self) -> Option<DateTime<Utc>> {
        let ms = i64::try_from(self.timestamp_ms()).ok()?;
        Utc.timestamp_millis_opt(ms).single()
    }

    /// The 16-byte big-endian form (the store's key).
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// The id for a 16-byte big-endian form.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(u128::from_be_bytes(bytes))
    }

    /// The id for a byte slice that must be exactly 16 bytes long.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 16]>::try_from(bytes).ok().map(Self::from_bytes)
    }

    /// The range of ids whose text form starts with `prefix` (1 to 26 base32 characters).
    ///
    /// Returns `None` when `prefix` is empty, too long or not base32.
    #[must_use]
    pub fn prefix_range(prefix: &str) -> Option<(Self, Self)> {
        if prefix.is_empty() || prefix.len() > 26 {
            return None;
        }
        let low = format!("{prefix:0<26}");
        let high = format!("{prefix:Z<26}");
        let low = low.parse::<Self>().ok()?;
        // The first character holds only 3 bits; a prefix of "7" pads to the maximum id.
        let high = high.parse::<Self>().unwrap_or(Self(u128::MAX));
        Some((low, high))
    }
}

/// 80 random bits from the operating system; the thread RNG (itself seeded by the operating
/// system) stands in if the OS source fails.
fn random_80() -> u128 {
    let mut bytes = [0_u8; 16];
    if rand::rngs::OsRng.try_fill_bytes(&mut bytes[6..]).is_err() {
        rand::rng().fill_bytes(&mut bytes[6..]);
    }
    u128::from_be_bytes(bytes)
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0_u8; 26];
        for (i, slot) in out.iter_mut().enumerate() {
            let shift = 5 * (25 - i);
            let digit = (self.0 >> shift) & 0x1f;
            // digit < 32 by the mask.
            *slot = ALPHABET[usize::try_from(digit).unwrap_or(0)];
        }
        // The alphabet is ASCII.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

/// Why a text is not a session id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseIdError {
    /// Not 26 characters.
    #[error("a session id has 26 characters, `{0}` has {1}")]
    Length(String, usize),
    /// A character outside Crockford base32.
    #[error("`{0}` is not a session id: `{1}` is not a base32 character")]
    Character(String, char),
    /// The first character is above `7` (the id would need more than 128 bits).
    #[error("`{0}` is not a session id: it is too large (the first character must be 0-7)")]
    Overflow(String),
}

/// The value of one Crockford base32 character (case-insensitive; `I`/`L` read as 1, `O` as 0).
fn digit_value(c: char) -> Option<u128> {
    let c = c.to_ascii_uppercase();
    let c = match c {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    let pos = ALPHABET.iter().position(|&a| char::from(a) == c)?;
    u128::try_from(pos).ok()
}

impl FromStr for SessionId {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let count = s.chars().count();
        if count != 26 {
            return Err(ParseIdError::Length(s.to_owned(), count));
        }
        let mut value: u128 = 0;
        for (i, c) in s.chars().enumerate() {
            let digit = digit_value(c).ok_or_else(|| ParseIdError::Character(s.to_owned(), c))?;
            if i == 0 && digit > 7 {
                return Err(ParseIdError::Overflow(s.to_owned()));
            }
            value = (value << 5) | digit;
        }
        Ok(Self(value))
    }
}

impl serde::Serialize for SessionId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SessionId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_bytes_round_trip() {
        for _ in 0..1000 {
            let id = SessionId::generate();
            let text = id.to_string();
            assert_eq!(text.len(), 26);
            assert_eq!(text.parse::<SessionId>(), Ok(id));
            assert_eq!(text.to_lowercase().parse::<SessionId>(), Ok(id));
            assert_eq!(SessionId::from_bytes(id.to_bytes()), id);
        }
    }

    #[test]
    fn ids_are_strictly_increasing_as_values_strings_and_bytes() {
        let ids: Vec<SessionId> = (0..5000).map(|_| SessionId::generate()).collect();
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(pair[0].to_string() < pair[1].to_string());
            assert!(pair[0].to_bytes() < pair[1].to_bytes());
        }
    }

    #[test]
    fn timestamp_is_the_top_48_bits() {
        let id = SessionId::from_parts(1_700_000_000_123, 42);
        assert_eq!(id.timestamp_ms(), 1_700_000_000_123);
        assert_eq!(
            id.created_at().map(|t| t.timestamp_millis()),
            Some(1_700_000_000_123)
        );
        assert!(SessionId::first_at(5) <= SessionId::from_parts(5, 99));
        assert!(SessionId::from_parts(5, 99) <= SessionId::last_at(5));
        assert!(SessionId::last_at(5) < SessionId::first_at(6));
    }

    #[test]
    fn known_text_form() {
        assert_eq!(SessionId::from_bytes([0; 16]).to_string(), "0".repeat(26));
        assert_eq!(
            SessionId::from_bytes([0xff; 16]).to_string(),
            "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"
        );
        // The ULID specification's example.
        let id: SessionId = "01ARZ3NDEKTSV4RRFFQ69G5FAV".parse().unwrap();
        assert_eq!(id.timestamp_ms(), 1_469_922_850_259);
    }

    #[test]
    fn bad_text_is_rejected() {
        assert!(matches!(
            "abc".parse::<SessionId>(),
            Err(ParseIdError::Length(..))
        ));
        assert!(matches!(
            "01ARZ3NDEKTSV4RRFFQ69G5FAU".parse::<SessionId>(),
            Err(ParseIdError::Character(_, 'U'))
        ));
        assert!(matches!(
            "81ARZ3NDEKTSV4RRFFQ69G5FAV".parse::<SessionId>(),
            Err(ParseIdError::Overflow(_))
        ));
        assert!(matches!(
            "01ARZ3NDEKTSV4RRFFQ69G5FA€".parse::<SessionId>(),
            Err(ParseIdError::Character(_, '€'))
        ));
    }

    #[test]
    fn prefix_range_covers_the_prefix() {
        let id: SessionId = "01ARZ3NDEKTSV4RRFFQ69G5FAV".parse().unwrap();
        let (low, high) = SessionId::prefix_range("01ARZ3").unwrap();
        assert!(low <= id && id <= high);
        let (low, _) = SessionId::prefix_range("01ARZ4").unwrap();
        assert!(id < low);
        assert!(SessionId::prefix_range("").is_none());
        assert!(SessionId::prefix_range("0U").is_none());
    }
}
