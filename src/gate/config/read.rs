//! Reads one configuration table from TOML text, key by key with their positions, so that every
//! mistake (unknown key, wrong type, unknown rule or level) is reported as `file:line:col` with the
//! nearest valid word.

use super::levels::{resolve_rule, FailOn, Level};
use super::suggest;
use super::{Config, Extension, ExtensionKind};
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The keys of the configuration table, in the order `forklint init` documents them.
pub const KEYS: &[&str] = &[
    "select",
    "ignore",
    "exclude",
    "per-file-ignores",
    "lints",
    "fail-on",
    "require-reasons",
    "extra-thread-spawners",
    "extra-connection-constructors",
    "extra-fork-functions",
    "allowed-in-child",
];

const ENTRY_KEYS: &[&str] = &[
    "path", "method", "macro", "crate", "reason", "label", "kind",
];

struct Reader<'a> {
    file: &'a Path,
    text: &'a str,
}

type Result<T> = std::result::Result<T, String>;

impl Reader<'_> {
    fn at(&self, span: Range<usize>, message: impl std::fmt::Display) -> String {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        format!("{}:{line}:{col}: {message}", self.file.display())
    }

    fn string(&self, v: &Spanned<DeValue<'_>>, key: &str) -> Result<String> {
        v.get_ref().as_str().map(str::to_string).ok_or_else(|| {
            self.at(
                v.span(),
                format!("`{key}` must be a string, not {}", v.get_ref().type_str()),
            )
        })
    }

    fn strings(&self, v: &Spanned<DeValue<'_>>, key: &str) -> Result<Vec<(String, Range<usize>)>> {
        let Some(items) = v.get_ref().as_array() else {
            return Err(self.at(
                v.span(),
                format!(
                    "`{key}` must be an array of strings, not {}",
                    v.get_ref().type_str()
                ),
            ));
        };
        items
            .iter()
            .map(|item| Ok((self.string(item, key)?, item.span())))
            .collect()
    }

    fn rules(&self, v: &Spanned<DeValue<'_>>, key: &str) -> Result<Vec<String>> {
        self.strings(v, key)?
            .into_iter()
            .map(|(name, span)| {
                resolve_rule(&name)
                    .map(|r| r.id.clone())
                    .map_err(|e| self.at(span, e))
            })
            .collect()
    }

    fn table<'t>(&self, v: &'t Spanned<DeValue<'t>>, key: &str) -> Result<&'t DeTable<'t>> {
        v.get_ref().as_table().ok_or_else(|| {
            self.at(
                v.span(),
                format!("`{key}` must be a table, not {}", v.get_ref().type_str()),
            )
        })
    }

    fn unknown(
        &self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        known: &[&str],
        place: &str,
    ) -> String {
        let hint = suggest::hint(key.get_ref(), known.iter().copied());
        let hint = if hint.is_empty() {
            format!("; the keys are: {}", known.join(", "))
        } else {
            hint
        };
        self.at(
            key.span(),
            format!("unknown key `{}`{place}{hint}", key.get_ref()),
        )
    }
}

/// Finds the table at `path` (empty: the whole document) and reads it. `Ok(None)` when the
/// document has no such table (a `Cargo.toml` without `[package.metadata.forklint]`).
pub fn read(file: &Path, text: &str, path: &[&str]) -> Result<Option<Config>> {
    let doc = DeTable::parse(text).map_err(|e| {
        let r = Reader { file, text };
        match e.span() {
            Some(span) => r.at(span, format!("invalid TOML: {}", e.message().trim())),
            None => format!("{}: invalid TOML: {}", file.display(), e.message().trim()),
        }
    })?;
    let r = Reader { file, text };
    let mut table: &DeTable<'_> = doc.get_ref();
    for (i, part) in path.iter().enumerate() {
        let Some(v) = table.get(*part) else {
            return Ok(None);
        };
        table = r.table(v, &path[..=i].join("."))?;
    }
    let base = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut config = Config {
        file: Some(file.to_path_buf()),
        base,
        ..Default::default()
    };
    let place = if path.is_empty() {
        String::new()
    } else {
        format!(" in [{}]", path.join("."))
    };
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        match name {
            "select" => config.select = Some(r.rules(value, name)?),
            "ignore" => config.ignore = r.rules(value, name)?,
            "exclude" => {
                config.exclude = r.strings(value, name)?.into_iter().map(|s| s.0).collect()
            }
            "per-file-ignores" => {
                for (glob, rules) in r.table(value, name)?.iter() {
                    let ids =
                        r.rules(rules, &format!("per-file-ignores.\"{}\"", glob.get_ref()))?;
                    super::paths::Glob::per_file(&config.base, glob.get_ref())
                        .map_err(|e| r.at(glob.span(), e))?;
                    config
                        .per_file_ignores
                        .push((glob.get_ref().to_string(), ids));
                }
            }
            "lints" => {
                for (rule, level) in r.table(value, name)?.iter() {
                    let id = resolve_rule(rule.get_ref())
                        .map_err(|e| r.at(rule.span(), e))?
                        .id
                        .clone();
                    let word = r.string(level, &format!("lints.{}", rule.get_ref()))?;
                    let level = Level::parse(&word).ok_or_else(|| {
                        r.at(
                            level.span(),
                            format!(
                                "unknown level `{word}` (allow, warn or deny){}",
                                suggest::hint(&word, Level::WORDS)
                            ),
                        )
                    })?;
                    config.lints.push((id, level));
                }
            }
            "fail-on" => {
                let word = r.string(value, name)?;
                config.fail_on = Some(FailOn::parse(&word).ok_or_else(|| {
                    r.at(
                        value.span(),
                        format!(
                            "unknown threshold `{word}` (error, warning or never){}",
                            suggest::hint(&word, ["error", "warning", "never"])
                        ),
                    )
                })?);
            }
            "require-reasons" => {
                config.require_reasons = value
                    .get_ref()
                    .as_bool()
                    .ok_or_else(|| r.at(value.span(), "`require-reasons` must be true or false"))?
            }
            "extra-thread-spawners"
            | "extra-connection-constructors"
            | "extra-fork-functions"
            | "allowed-in-child" => {
                let kind = match name {
                    "extra-thread-spawners" => ExtensionKind::ThreadSpawner,
                    "extra-connection-constructors" => ExtensionKind::ConnectionConstructor,
                    "extra-fork-functions" => ExtensionKind::ForkFunction,
                    _ => ExtensionKind::AllowedInChild,
                };
                let Some(items) = value.get_ref().as_array() else {
                    return Err(r.at(
                        value.span(),
                        format!(
                            "`{name}` must be an array of tables ([[{name}]] with `path` and `reason`)"
                        ),
                    ));
                };
                for item in items.iter() {
                    config.extensions.push(entry(&r, item, name, kind)?);
                }
            }
            _ => return Err(r.unknown(key, KEYS, &place)),
        }
    }
    Ok(Some(config))
}

fn entry(
    r: &Reader<'_>,
    item: &Spanned<DeValue<'_>>,
    list: &str,
    kind: ExtensionKind,
) -> Result<Extension> {
    let table = r.table(item, list)?;
    let line = r.text[..item.span().start.min(r.text.len())]
        .matches('\n')
        .count() as u32
        + 1;
    let mut ext = Extension {
        kind,
        path: None,
        method: None,
        macro_name: None,
        krate: None,
        reason: String::new(),
        label: None,
        daemon: false,
        line,
    };
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        let full = format!("{list}.{name}");
        match name {
            "path" => ext.path = Some(r.string(value, &full)?),
            "method" => ext.method = Some(r.string(value, &full)?),
            "macro" => ext.macro_name = Some(r.string(value, &full)?),
            "crate" => ext.krate = Some(r.string(value, &full)?),
            "reason" => ext.reason = r.string(value, &full)?,
            "label" => ext.label = Some(r.string(value, &full)?),
            "kind" if kind == ExtensionKind::ForkFunction => {
                let word = r.string(value, &full)?;
                ext.daemon = match word.as_str() {
                    "fork" => false,
                    "daemon" => true,
                    _ => {
                        return Err(r.at(
                            value.span(),
                            format!("unknown kind `{word}` (fork or daemon)"),
                        ))
                    }
                }
            }
            _ => {
                let known: Vec<&str> = ENTRY_KEYS
                    .iter()
                    .copied()
                    .filter(|k| *k != "kind" || kind == ExtensionKind::ForkFunction)
                    .collect();
                return Err(r.unknown(key, &known, &format!(" in a `{list}` entry")));
            }
        }
    }
    let targets = [&ext.path, &ext.method, &ext.macro_name]
        .iter()
        .filter(|t| t.is_some())
        .count();
    if targets != 1 {
        return Err(r.at(
            item.span(),
            format!("a `{list}` entry needs exactly one of `path`, `method` or `macro`"),
        ));
    }
    if ext.reason.trim().is_empty() {
        return Err(r.at(
            item.span(),
            format!("a `{list}` entry needs a `reason` (why this call belongs there)"),
        ));
    }
    Ok(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Result<Option<Config>> {
        read(Path::new("/p/forklint.toml"), text, &[])
    }

    #[test]
    fn every_key() {
        let c = read_str(
            r#"
select = ["FL001", "connection-before-fork"]
ignore = ["FL007"]
exclude = ["generated/"]
fail-on = "warning"
require-reasons = true

[per-file-ignores]
"tests/**" = ["FL005"]

[lints]
FL006 = "deny"

[[extra-thread-spawners]]
path = "acme::pool::start"
reason = "starts the worker pool"

[[extra-fork-functions]]
path = "acme::proc::daemonize"
kind = "daemon"
reason = "wraps daemon(3)"

[[allowed-in-child]]
method = "write_raw"
crate = "acme"
reason = "only write(2)"
"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.select.unwrap(), ["FL001", "FL002"]);
        assert_eq!(c.ignore, ["FL007"]);
        assert_eq!(c.exclude, ["generated/"]);
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert!(c.require_reasons);
        assert_eq!(
            c.per_file_ignores,
            [("tests/**".into(), vec!["FL005".into()])]
        );
        assert_eq!(c.lints, [("FL006".into(), Level::Deny)]);
        assert_eq!(c.extensions.len(), 3);
        let of = |k: ExtensionKind| c.extensions.iter().find(|e| e.kind == k).unwrap();
        assert!(of(ExtensionKind::ForkFunction).daemon);
        assert!(!of(ExtensionKind::ThreadSpawner).daemon);
        let child = of(ExtensionKind::AllowedInChild);
        assert_eq!(child.method.as_deref(), Some("write_raw"));
        assert_eq!(child.krate.as_deref(), Some("acme"));
        assert!((23..=24).contains(&child.line), "{}", child.line);
    }

    #[test]
    fn mistakes_name_file_line_and_nearest_key() {
        let err = read_str("select = []\n\nexlude = [\"x\"]\n").unwrap_err();
        assert_eq!(
            err,
            "/p/forklint.toml:3:1: unknown key `exlude`; did you mean `exclude`?"
        );
        let err = read_str("[lints]\nFL001 = \"forbid\"\n").unwrap_err();
        assert!(
            err.starts_with("/p/forklint.toml:2:9: unknown level `forbid`"),
            "{err}"
        );
        let err = read_str("ignore = [\"FL01\"]\n").unwrap_err();
        assert!(
            err.contains("1:11: unknown rule `FL01`; did you mean `FL001`?"),
            "{err}"
        );
        let err = read_str("[[allowed-in-child]]\npath = \"x\"\n").unwrap_err();
        assert!(err.contains("needs a `reason`"), "{err}");
        let err = read_str("[[allowed-in-child]]\npath = \"x\"\nreason = \"r\"\nresaon = 1\n")
            .unwrap_err();
        assert!(
            err.contains(
                "4:1: unknown key `resaon` in a `allowed-in-child` entry; did you mean `reason`?"
            ),
            "{err}"
        );
        let err = read_str("select = \"FL001\"\n").unwrap_err();
        assert!(
            err.contains("1:10: `select` must be an array of strings, not string"),
            "{err}"
        );
        let err = read_str("select = [\n").unwrap_err();
        assert!(err.starts_with("/p/forklint.toml:"), "{err}");
    }

    #[test]
    fn cargo_metadata_tables() {
        let text = "[package]\nname = \"x\"\n\n[package.metadata.forklint]\nignor = []\n";
        let err = read(
            Path::new("Cargo.toml"),
            text,
            &["package", "metadata", "forklint"],
        )
        .unwrap_err();
        assert_eq!(
            err,
            "Cargo.toml:5:1: unknown key `ignor` in [package.metadata.forklint]; did you mean `ignore`?"
        );
        assert!(read(
            Path::new("Cargo.toml"),
            "[package]\nname = \"x\"\n",
            &["package", "metadata", "forklint"]
        )
        .unwrap()
        .is_none());
    }
}
