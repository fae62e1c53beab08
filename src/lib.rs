//! forklint: finds fork-safety bugs in Rust sources (`check`) and in live processes (`inspect`).

pub mod analysis;
pub mod catalog;
pub mod cli;
pub mod diagnostic;
pub mod frontend;
pub mod fuzzing;
pub mod gate;
pub mod inspect;
pub mod ir;
pub mod pipeline;
pub mod prefilter;
pub mod report;
pub mod source;

// The gate's parts and the pipeline under their former paths, until every import names them.
pub use gate::{baseline, config, diffscope, fingerprint, suppress};
pub use pipeline as check;
