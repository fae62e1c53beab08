//! The catalogue: rule documentation and the API knowledge (`rules/*.toml`) that the analysis uses.

pub mod api;
pub mod python;
pub mod rules;

pub use api::{Api, Catalog, ClosureRole, Effect};
