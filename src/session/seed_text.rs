//! Seeds in JSON as strings. A seed is a full 64-bit number; JavaScript and R read JSON numbers
//! as doubles and round anything above 2^53, so an option order could not be reproduced from
//! their reading. Seeds are written as decimal strings and read from a string or a number (what
//! earlier versions wrote).

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Serialize a seed as a decimal string.
///
/// # Errors
/// As the serializer.
pub fn serialize<S: Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(seed)
}

/// Read a seed from a decimal string or a non-negative integer.
///
/// # Errors
/// Anything else, or a number that is not a 64-bit unsigned integer.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(SeedVisitor)
}

struct SeedVisitor;

impl Visitor<'_> for SeedVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a seed: a whole number from 0 to 18446744073709551615, as a string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("a seed cannot be negative ({v})")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        v.parse()
            .map_err(|_| E::custom(format!("`{v}` is not a seed (a whole number from 0)")))
    }
}

/// The same for an optional seed (`null` when absent).
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialize an optional seed as a decimal string or `null`.
    ///
    /// # Errors
    /// As the serializer.
    pub fn serialize<S: Serializer>(seed: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match seed {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    /// Read an optional seed: a string, a number, or `null`.
    ///
    /// # Errors
    /// Anything else.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super")] u64);
        Ok(Option::<Wrap>::deserialize(d)?.map(|Wrap(v)| v))
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct S {
        #[serde(with = "super")]
        seed: u64,
        #[serde(with = "super::option", default)]
        maybe: Option<u64>,
    }

    #[test]
    fn seeds_are_strings_and_old_numbers_still_read() {
        let big = S {
            seed: u64::MAX - 1,
            maybe: Some(9_007_199_254_740_993),
        };
        let json = serde_json::to_string(&big).unwrap();
        assert_eq!(
            json,
            r#"{"seed":"18446744073709551614","maybe":"9007199254740993"}"#
        );
        assert_eq!(serde_json::from_str::<S>(&json).unwrap(), big);
        let old: S = serde_json::from_str(r#"{"seed":7,"maybe":null}"#).unwrap();
        assert_eq!(
            old,
            S {
                seed: 7,
                maybe: None
            }
        );
        assert!(serde_json::from_str::<S>(r#"{"seed":-1}"#).is_err());
        assert!(serde_json::from_str::<S>(r#"{"seed":"x"}"#).is_err());
        assert!(serde_json::from_str::<S>(r#"{"seed":1.5}"#).is_err());
    }
}
