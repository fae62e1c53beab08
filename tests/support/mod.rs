//! Shared helpers of the robustness tests: program generators with a reference model, hostile
//! file and tree generators, and a bounded runner for the `forklint` binary.
// Each test binary includes this module and uses only a part of it.
#![allow(dead_code)]

pub mod programs;
pub mod run;
pub mod trees;
