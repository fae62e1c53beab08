//! `forklint init`: writes the commented configuration template.

use crate::gate::config;
use std::path::Path;

pub fn run(dir: Option<&Path>, force: bool) -> anyhow::Result<i32> {
    let dir = dir.unwrap_or(Path::new("."));
    let file = dir.join("forklint.toml");
    if file.exists() && !force {
        anyhow::bail!(
            "{} already exists; pass --force to overwrite it",
            file.display()
        );
    }
    std::fs::write(&file, config::template::TEMPLATE)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", file.display()))?;
    eprintln!("forklint: wrote {}", file.display());
    Ok(0)
}
