//! forklint: finds fork-safety bugs in Rust sources (`check`) and in live processes (`inspect`).

pub mod catalog;
pub mod cli;
pub mod diagnostic;
pub mod inspect;
pub mod report;
