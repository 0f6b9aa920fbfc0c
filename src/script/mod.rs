//! Scripts: the data model, the YAML loader with positions, the validator, and importers;
//! world trees here, the CRDial kinds in [`cr`].
//!
//! This layer compiles without any UI, async, HTTP or storage crate. Only `yaml.rs` touches the
//! YAML crates.

pub mod bessi;
pub mod bundled;
pub mod cr;
pub mod decode;
pub mod diag;
pub mod load;
pub mod model;
pub mod socialeval;
pub mod study;
pub mod validate;
pub mod written;
pub mod yaml;

pub use load::{Loaded, Script, content_hash, load_file};
pub use model::WorldTree;
