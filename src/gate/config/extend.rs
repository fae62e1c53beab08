//! Catalogue extensions from the configuration: a team's own thread spawners, connection
//! constructors, fork wrappers and child-safe calls become `Api` entries of a copy of the built-in
//! catalogue, so the analysis treats them exactly like the embedded ones.

use super::{Config, Extension, ExtensionKind};
use crate::catalog::{Api, Catalog};
use serde::Deserialize;

/// The entry as the catalogue's own TOML would spell it; going through the same deserializer
/// gives every field the catalogue files leave out its usual default.
fn api(ext: &Extension) -> Result<Api, String> {
    let target = ext
        .path
        .as_deref()
        .or(ext.method.as_deref())
        .or(ext.macro_name.as_deref())
        .unwrap_or("?");
    let (effect, label) = match ext.kind {
        ExtensionKind::ThreadSpawner => ("starts-thread", format!("threads started by `{target}`")),
        ExtensionKind::ConnectionConstructor => (
            "opens-connection",
            format!("the connection from `{target}`"),
        ),
        ExtensionKind::ForkFunction if ext.daemon => ("daemon", format!("`{target}`")),
        ExtensionKind::ForkFunction => ("fork", format!("`{target}`")),
        ExtensionKind::AllowedInChild => ("async-signal-safe", format!("`{target}`")),
    };
    let mut entry = toml::Table::new();
    for (key, value) in [
        ("path", &ext.path),
        ("method", &ext.method),
        ("macro", &ext.macro_name),
        ("crate", &ext.krate),
    ] {
        if let Some(v) = value {
            entry.insert(key.into(), v.clone().into());
        }
    }
    entry.insert("effects".into(), vec![toml::Value::from(effect)].into());
    entry.insert("label".into(), ext.label.clone().unwrap_or(label).into());
    entry.insert("source".into(), ext.reason.clone().into());
    if ext.kind == ExtensionKind::ThreadSpawner {
        // A spawner's closure argument runs on the new thread, not in the caller.
        entry.insert("closure".into(), "thread".into());
    }
    Api::deserialize(toml::Value::Table(entry)).map_err(|e| e.to_string())
}

/// The catalogue to analyse with: the built-in one, plus the configuration's extensions.
pub fn catalog(config: &Config) -> Result<Option<Catalog>, String> {
    if config.extensions.is_empty() {
        return Ok(None);
    }
    let mut catalog = Catalog::builtin().clone();
    let file = config
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| "configuration".to_string());
    for ext in &config.extensions {
        catalog
            .add(&file, api(ext).map_err(|e| format!("{file}: {e}"))?)
            .map_err(|e| format!("{e} (entry at line {})", ext.line))?;
    }
    Ok(Some(catalog))
}
