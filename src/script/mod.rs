//! Scripts: the data model, the YAML loader with positions, the validator, and importers.
//!
//! This layer compiles without any UI, async, HTTP or storage crate.

pub mod bessi;
pub mod model;
pub mod yaml;
