//! Fuzz target: arbitrary bytes as a user rule file (`Catalog::add_toml`); a valid one is then used
//! to analyse a small program that calls what it might name.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| forklint::fuzzing::rule_toml(data));
