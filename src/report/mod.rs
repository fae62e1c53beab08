//! Rendering of the finding model: human, json (and colour decisions shared by every renderer).

pub mod human;
pub mod json;

use crate::cli::ColorChoice;
use std::io::IsTerminal;

/// Whether to colour output on stdout: `always`/`never` win, `auto` honours `NO_COLOR` and a tty.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
