//! The one file that touches YAML crates: a positioned reader (yaml-rust2 events → [`YNode`])
//! and a writer (serde_yaml).

/// Serialise a value as YAML text.
///
/// # Errors
/// When the value cannot be represented in YAML.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, serde_yaml::Error> {
    serde_yaml::to_string(value)
}
