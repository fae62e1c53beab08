//! Pure parsers of what `/proc` (and netlink) say about a process: text or bytes in, typed
//! values out, no I/O, so they run on recorded snapshots and fuzz inputs alike.

pub mod fd;
pub mod fdinfo;
pub mod locks;
pub mod maps;
pub mod net;
pub mod proc;
pub mod stack;
