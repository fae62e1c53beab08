//! Fuzz target: arbitrary bytes as a user rule file (`Catalog::add_toml`); a valid one is then used
//! to analyse a small program that calls what it might name.
#![no_main]

use forklint::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

const PROGRAM: &str = "fn main() { let h = std::thread::spawn(|| {}); my::api(); x.method(); \
    m!(); let pid = unsafe { libc::fork() }; if pid == 0 { println!(\"c\"); } }";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut catalog = Catalog::default();
    if catalog.add_toml("fuzz.toml", text).is_ok() {
        if let Ok(ir) = forklint::frontend::rust::lower_source("p.rs", PROGRAM, "p", Vec::new()) {
            let _ = forklint::analysis::analyze(vec![ir], &catalog);
        }
    }
});
