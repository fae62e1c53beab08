//! The catalogue: rule documentation and the API knowledge (`rules/*.toml`) that the analysis uses.

pub mod rules;
