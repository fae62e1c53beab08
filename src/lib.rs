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
pub mod resolve;
pub mod rules;
pub mod source;
pub mod trace;
