//! forklint: finds fork-safety bugs in Rust sources (`check`) and in live processes (`inspect`).

pub mod analysis;
pub mod baseline;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod diffscope;
pub mod fingerprint;
pub mod frontend;
pub mod fuzzing;
pub mod inspect;
pub mod ir;
pub mod lint;
pub mod prefilter;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
