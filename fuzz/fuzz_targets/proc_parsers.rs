//! Fuzz target: the `/proc` text parsers of `inspect`. The first byte picks the parser, the rest
//! is the file's text (a process can put almost anything in its `comm`, and the tables change
//! under the reader).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| forklint::fuzzing::proc_parsers(data));
