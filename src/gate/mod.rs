//! The gate: what of the analysis's findings is reported, and whether the run fails. Rule levels
//! from the configuration (`config`), suppression comments (`suppress`), the baseline of accepted
//! findings (`baseline`), the lines changed since a revision (`diffscope`) and the fingerprints
//! the baseline keys on (`fingerprint`). It finds nothing itself and prints nothing.

pub mod baseline;
pub mod config;
pub mod diffscope;
pub mod fingerprint;
pub mod suppress;
