//! Language frontends: each turns source text into the language-neutral IR of `crate::ir`.

pub mod rust;
