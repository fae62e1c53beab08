//! Fuzz target: the `/proc` text parsers of `inspect`. The first byte picks the parser, the rest
//! is the file's text (a process can put almost anything in its `comm`, and the tables change
//! under the reader).
#![no_main]

use forklint::inspect::{fdinfo, locks, maps, net, proc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 9 {
        0 => {
            let _ = proc::parse_stat(&text);
        }
        1 => {
            let _ = proc::parse_status(&text);
        }
        2 => {
            let args = proc::parse_cmdline(rest);
            let _ = proc::display_command(&args);
        }
        3 | 4 => {
            let protocol = if which % 9 == 3 { "tcp" } else { "udp" };
            let inet = net::parse_inet_table(protocol, &text);
            let index = net::SocketIndex::from_tables(inet, Vec::new());
            let _ = index.get(0);
        }
        5 => {
            let unix = net::parse_unix_table(&text);
            let _ = net::SocketIndex::from_tables(Vec::new(), unix);
        }
        6 => {
            let _ = maps::parse_maps(&text);
        }
        7 => {
            let _ = locks::parse_proc_locks(&text);
        }
        _ => {
            let _ = fdinfo::parse_fdinfo(&text);
        }
    }
});
