//! forklint: finds fork-safety bugs in Rust sources (`check`) and in live processes (`inspect`).

pub mod analysis;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod commands;
pub mod diagnostic;
pub mod frontend;
pub mod inspect;
pub mod ir;
pub mod report;
