//! The inspect catalogue (`rules/inspect.toml`): thread-name patterns, fork-hostile libraries,
//! well-known services and environment variables, and the glob matching used against them.

use crate::diagnostic::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Advice, either for every program or per runtime (`python`, `native`, `rust`, and `any` for
/// the others), so a C program is not told about multiprocessing.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Remedy {
    Any(String),
    ByRuntime(BTreeMap<String, String>),
}

impl Remedy {
    pub fn for_runtime(&self, runtime: Option<&str>) -> Option<&str> {
        match self {
            Remedy::Any(text) => Some(text),
            Remedy::ByRuntime(by) => runtime
                .and_then(|r| by.get(r))
                .or_else(|| by.get("any"))
                .map(String::as_str),
        }
    }
}

/// What to say for a runtime as a whole: who owns threads its own code started, and the
/// general advice for threads and connections.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    pub key: String,
    pub name: String,
    /// Executable or library file names that mark the runtime (globs).
    pub objects: Vec<String>,
    pub threads: String,
    pub connections: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadPattern {
    pub pattern: String,
    pub owner: String,
    #[serde(default)]
    pub library: Option<String>,
    pub remedy: Remedy,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryPattern {
    pub key: String,
    pub name: String,
    pub patterns: Vec<String>,
    pub hazard: String,
    pub rule: crate::rules::RuleId,
    pub severity: Severity,
    pub confirm: Vec<String>,
    pub atfork_mitigates: bool,
    /// An environment variable whose presence (any value) makes the fork handlers leave the
    /// pool on in the child.
    #[serde(default)]
    pub atfork_unless_env: Option<String>,
    /// A Python package whose fork handlers are Python code (`os.register_at_fork`), present
    /// from this version of its distribution on.
    #[serde(default)]
    pub handlers_since: Option<HandlersSince>,
    pub remedy: Remedy,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlersSince {
    pub package: String,
    pub version: String,
}

/// Compares dotted versions by their leading numbers (`4.20.1` >= `4.3`); a pre-release suffix
/// on a component counts as that component.
pub fn version_at_least(version: &str, min: &str) -> bool {
    let nums = |v: &str| -> Vec<u64> {
        v.split('.')
            .map(|c| {
                c.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0)
            })
            .collect()
    };
    nums(version) >= nums(min)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    pub ports: Vec<u16>,
    pub processes: Vec<String>,
    pub remedy: Remedy,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvKnob {
    pub name: String,
    pub effect: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub thread: Vec<ThreadPattern>,
    pub library: Vec<LibraryPattern>,
    pub service: Vec<Service>,
    pub env: Vec<EnvKnob>,
    pub runtime: Vec<Runtime>,
}

const INSPECT_TOML: &str = include_str!("../../rules/inspect.toml");

/// The embedded catalogue. It ships inside the binary and a test parses it, so a failure here
/// can only come from a broken build.
pub fn get() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        toml::from_str(INSPECT_TOML)
            .unwrap_or_else(|e| panic!("embedded rules/inspect.toml is invalid: {e}"))
    })
}

impl Catalog {
    pub fn thread_owner(&self, name: &str) -> Option<&ThreadPattern> {
        self.thread.iter().find(|t| glob_match(&t.pattern, name))
    }

    /// The library entry whose pattern matches `path` (file name, or path suffix for patterns
    /// holding a `/`).
    pub fn library_for(&self, path: &str) -> Option<&LibraryPattern> {
        let base = path.rsplit('/').next().unwrap_or(path);
        self.library.iter().find(|lib| {
            lib.patterns.iter().any(|p| {
                if let Some(rest) = p.strip_prefix('/') {
                    base == rest
                } else if p.contains('/') {
                    glob_match(&format!("*{p}"), path)
                } else {
                    glob_match(p, base)
                }
            })
        })
    }

    pub fn library(&self, key: &str) -> Option<&LibraryPattern> {
        self.library.iter().find(|l| l.key == key)
    }

    pub fn service_by_port(&self, port: u16) -> Option<&Service> {
        self.service.iter().find(|s| s.ports.contains(&port))
    }

    pub fn service_by_process(&self, name: &str) -> Option<&Service> {
        self.service
            .iter()
            .find(|s| s.processes.iter().any(|p| p == name))
    }

    pub fn runtime(&self, key: &str) -> Option<&Runtime> {
        self.runtime.iter().find(|r| r.key == key)
    }

    /// The runtime whose objects include this file (by file name).
    pub fn runtime_of_object(&self, path: &str) -> Option<&Runtime> {
        let base = path.rsplit('/').next().unwrap_or(path);
        self.runtime
            .iter()
            .find(|r| r.objects.iter().any(|p| glob_match(p, base)))
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.service.iter().find(|s| s.name == name)
    }
}

/// Glob match: `*` any run, `?` one character, `#` one or more ASCII digits.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    // Paths and thread names are ASCII in practice: their bytes are their characters, and the
    // match (done for every mapped file and thread against every pattern) allocates nothing.
    if pattern.is_ascii() && text.is_ascii() {
        return glob_go(pattern.as_bytes(), text.as_bytes());
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_go(&p, &t)
}

/// One unit of matched text: a byte of ASCII text or a character of any other.
trait GlobUnit: Copy + PartialEq {
    fn is(self, c: char) -> bool;
    fn is_ascii_digit(self) -> bool;
}

impl GlobUnit for u8 {
    fn is(self, c: char) -> bool {
        u32::from(self) == u32::from(c)
    }
    fn is_ascii_digit(self) -> bool {
        u8::is_ascii_digit(&self)
    }
}

impl GlobUnit for char {
    fn is(self, c: char) -> bool {
        self == c
    }
    fn is_ascii_digit(self) -> bool {
        char::is_ascii_digit(&self)
    }
}

fn glob_go<U: GlobUnit>(p: &[U], t: &[U]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some((c, rest)) if c.is('*') => (0..=t.len()).any(|i| glob_go(rest, &t[i..])),
        Some((c, rest)) if c.is('?') => !t.is_empty() && glob_go(rest, &t[1..]),
        Some((c, rest)) if c.is('#') => {
            let digits = t.iter().take_while(|c| c.is_ascii_digit()).count();
            (1..=digits).any(|i| glob_go(rest, &t[i..]))
        }
        Some((c, rest)) => t.first() == Some(c) && glob_go(rest, &t[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_parses_and_rules_exist() {
        let c = get();
        assert!(c.thread.len() > 10);
        for lib in &c.library {
            assert!(!lib.patterns.is_empty(), "{}", lib.key);
        }
        for t in &c.thread {
            if let Some(l) = &t.library {
                assert!(
                    c.library(l).is_some(),
                    "thread pattern links unknown library {l}"
                );
            }
        }
    }

    #[test]
    fn versions() {
        assert!(version_at_least("4.20.1", "4.3"));
        assert!(version_at_least("4.3", "4.3"));
        assert!(!version_at_least("4.2.9", "4.3"));
        assert!(!version_at_least("3.13.0", "4.3"));
        assert!(version_at_least("5.0rc1", "4.3"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("polars-#", "polars-12"));
        assert!(!glob_match("polars-#", "polars-"));
        assert!(!glob_match("polars-#", "polars-x"));
        assert!(glob_match("tokio-runtime-w*", "tokio-runtime-w"));
        assert!(glob_match("lib?omp.so*", "libgomp.so.1"));
        assert!(!glob_match("libgomp.so*", "libgomp-abc.so.1"));
    }

    #[test]
    fn globs_count_characters_not_bytes() {
        // `?` is one character however many bytes it takes, in the text or the pattern.
        assert!(glob_match("lib?omp.so*", "libžomp.so.1"));
        assert!(!glob_match("lib??omp.so*", "libžomp.so.1"));
        assert!(glob_match("thr?ad-*", "thrëad-ž"));
        assert!(glob_match("ž*-#", "žluť-42"));
        assert!(!glob_match("ž*-#", "zluť-42"));
    }

    #[test]
    fn attribution_through_data() {
        let c = get();
        assert_eq!(
            c.thread_owner("tokio-runtime-w").map(|t| t.owner.as_str()),
            Some("tokio runtime (Rust)")
        );
        assert!(c.thread_owner("reqwest-interna").is_some());
        assert!(c.thread_owner("polars-3").is_some());
        assert!(c.thread_owner("cuda-EvtHandlr").is_some());
        assert!(c.thread_owner("my-own-thread").is_none());
        let key = |p: &str| c.library_for(p).map(|l| l.key.as_str());
        assert_eq!(
            key("/usr/lib/x86_64-linux-gnu/libgomp.so.1"),
            Some("openmp")
        );
        assert_eq!(
            key("/site/numpy.libs/libgomp-a34b3233.so.1.0.0"),
            Some("openmp")
        );
        assert_eq!(
            key("/site/torch/_C.cpython-311-x86_64-linux-gnu.so"),
            Some("torch")
        );
        assert_eq!(
            key("/site/tokenizers/tokenizers.abi3.so"),
            Some("tokenizers")
        );
        assert_eq!(
            key("/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation"),
            Some("corefoundation")
        );
        assert_eq!(key("/usr/lib/libobjc.A.dylib"), Some("objc"));
        assert_eq!(key("/usr/lib/x86_64-linux-gnu/libc.so.6"), None);
        assert_eq!(key("/opt/_C.so"), None);
        assert_eq!(
            c.service_by_port(6379).map(|s| s.name.as_str()),
            Some("redis")
        );
        assert_eq!(
            c.runtime_of_object("/root/.pyenv/versions/3.11.7/bin/python3.11")
                .map(|r| r.key.as_str()),
            Some("python")
        );
        assert_eq!(
            c.runtime_of_object("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0")
                .map(|r| r.key.as_str()),
            Some("python")
        );
        assert!(c.runtime_of_object("/usr/bin/pythonic-tool").is_none());
        assert!(c.runtime_of_object("/usr/lib/libgomp.so.1").is_none());
        assert_eq!(
            c.service_by_process("redis-server")
                .map(|s| s.name.as_str()),
            Some("redis")
        );
    }
}
