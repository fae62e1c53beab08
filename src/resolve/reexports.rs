//! Crates reached through another crate's re-export (`rules/reexports.toml`): the one place a
//! path written through a re-export (`rocket::tokio::task::spawn_blocking`, `nix::libc::_exit`)
//! becomes the path of the crate that defines the item, before the catalogue or the program's
//! tables are asked about it.

use serde::Deserialize;
use std::borrow::Cow;
use std::sync::OnceLock;

/// One re-export: paths starting with `prefix` name the items at `target`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reexport {
    prefix: String,
    target: String,
    #[allow(dead_code)] // documentation: every entry cites where the re-export is declared
    source: String,
}

#[derive(Deserialize)]
struct ReexportFile {
    reexport: Vec<Reexport>,
}

/// The table, longest prefix first, so a nested re-export (`actix_web::rt::task::`) wins over
/// the module that holds it (`actix_web::rt::`).
fn table() -> &'static [Reexport] {
    static TABLE: OnceLock<Vec<Reexport>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let file: ReexportFile = toml::from_str(include_str!("../../rules/reexports.toml"))
            .unwrap_or_else(|e| panic!("rules/reexports.toml is invalid: {e}"));
        let mut table = file.reexport;
        table.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        table
    })
}

/// The path a call names once re-exports are followed; a bare prelude type (`Vec::new`, which
/// no `use` resolves) is std's. A target may itself be re-exported (`actix_web::rt::` leads to
/// `actix_rt::`, whose `task::` is tokio's), so the rewrite repeats while a prefix matches.
pub fn normalize(path: &str) -> Cow<'_, str> {
    let mut out: Cow<'_, str> = path.into();
    for _ in 0..super::MAX_ALIAS_STEPS {
        let Some(r) = table().iter().find(|r| out.starts_with(r.prefix.as_str())) else {
            break;
        };
        out = format!("{}{}", r.target, &out[r.prefix.len()..]).into();
    }
    for (ty, module) in [
        ("Vec::", "std::vec::"),
        ("String::", "std::string::"),
        ("Box::", "std::boxed::"),
    ] {
        if out.starts_with(ty) {
            return format!("{module}{out}").into();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn reexported_paths_name_the_defining_crate() {
        assert_eq!(normalize("core::mem::drop"), "std::mem::drop");
        assert_eq!(normalize("nix::libc::_exit"), "libc::_exit");
        assert_eq!(
            normalize("rocket::tokio::task::spawn_blocking"),
            "tokio::task::spawn_blocking"
        );
        assert_eq!(
            normalize("actix_web::rt::task::spawn_blocking"),
            "tokio::task::spawn_blocking"
        );
        assert_eq!(normalize("actix_web::rt::spawn"), "actix_rt::spawn");
        assert_eq!(normalize("Vec::new"), "std::vec::Vec::new");
        assert_eq!(normalize("tokio::spawn"), "tokio::spawn");
    }
}
