//! Fuzz target: arbitrary bytes as one `.rs` file through the whole `check` pipeline (frontend,
//! linking, analysis) with the built-in catalogue, then rendered as JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| forklint::fuzzing::check_source(data));
