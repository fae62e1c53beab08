//! The byte scan behind the prefilter: one pass over a file's bytes that records every
//! identifier it contains (as a 32-bit hash), which of them follow a definition keyword, and which
//! sit inside a `use` item; then one sorted index of (identifier, file) over the whole tree.
//!
//! Every answer the scan gives is an over-approximation: comments and strings are scanned like
//! code, and a confused guess about a comment only ever adds tags. A hash collision makes a file
//! look as if it held a name it does not: it is then parsed for nothing, never skipped wrongly.

/// Any occurrence of the identifier.
pub const ANY: u32 = 0;
/// The identifier follows `fn`, `static`, `static ref`, `static mut` or `macro_rules!`: it may
/// name a function, a method, a global or a macro that the file defines.
pub const DEF: u32 = 1;
/// The identifier lies between `use` (or `extern`) and the next `;`: it may be the name a `use`
/// binds, or a crate an `extern crate` renames.
pub const USE: u32 = 2;
/// The identifier comes right before `as`: a `use` may rename it.
pub const AS: u32 = 3;
/// The identifier lies in the self type of an `impl` header (after `for` when there is one, up to
/// `where` or the `{` that opens the body): it may name the type whose methods the file defines
/// (`a`, `Foo`, `T` in `impl<T> Trait for a::Foo<T>`).
pub const IMPL: u32 = 4;

/// The name a public glob `use` (`pub use imp::*;`, `pub(crate) use a::{b::*, c}`) is indexed
/// under, with the `ANY` and `USE` tags: the `*` stands in the item path a lookup through the
/// glob's module asks for (`module::*`). A private glob (`use super::*` in a test module)
/// re-exports nothing and is not marked.
pub const GLOB: &str = "*";

/// The name, tagged `USE`, of a file with a public glob of the module's parent or crate root
/// (`pub use super::*;`, `pub use crate::*;`): its `use` names no segment of its target.
pub const GLOB_UP: &str = "super::*";

/// The low bits of a key that hold its tag.
const TAG_BITS: u32 = 7;

/// What one file's bytes say.
#[derive(Debug, Default)]
pub struct FileScan {
    /// `key(name, kind)` of every identifier, sorted and deduplicated.
    pub keys: Vec<u32>,
    /// The file may hold a declaration that places another file in the module tree: a
    /// `#[path = ".."]` attribute moves one, and a `mod m;` under a platform `#[cfg(..)]` may leave
    /// one out of every Unix build.
    pub module_decl: bool,
    /// The deepest nesting of brackets, counted as `frontend::rust::max_nesting` counts it.
    pub nesting: usize,
}

impl FileScan {
    pub fn has(&self, key: u32) -> bool {
        self.keys.binary_search(&key).is_ok()
    }
}

/// The index key of an identifier (`r#` stripped, as the scan strips it) for one tag.
pub fn key(name: &str, kind: u32) -> u32 {
    let name = name.strip_prefix("r#").unwrap_or(name);
    (hash(name.as_bytes()) & !TAG_BITS) | kind
}

fn hash(word: &[u8]) -> u32 {
    // FNV-1a folded to 32 bits: cheap per byte and well spread for short identifiers.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in word {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h ^ (h >> 32)) as u32
}

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Scans one file's bytes.
pub fn scan(bytes: &[u8]) -> FileScan {
    DEDUP.with(|d| scan_into(bytes, &mut d.borrow_mut()))
}

/// A set of keys reused from file to file: most identifiers repeat, and sorting the repeats
/// would cost more than the scan.
#[derive(Default)]
struct Dedup {
    slots: Vec<u32>,
    stamps: Vec<u32>,
    stamp: u32,
    keys: Vec<u32>,
}

impl Dedup {
    fn reset(&mut self) {
        if self.slots.is_empty() {
            self.slots = vec![0; 1 << 12];
            self.stamps = vec![0; 1 << 12];
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.stamps.iter_mut().for_each(|s| *s = 0);
            self.stamp = 1;
        }
        self.keys.clear();
    }

    fn push(&mut self, key: u32) {
        let mask = self.slots.len() - 1;
        let mut i = (key.wrapping_mul(0x9e37_79b1) as usize) & mask;
        loop {
            if self.stamps[i] != self.stamp {
                self.stamps[i] = self.stamp;
                self.slots[i] = key;
                self.keys.push(key);
                break;
            }
            if self.slots[i] == key {
                return;
            }
            i = (i + 1) & mask;
        }
        if self.keys.len() * 2 > self.slots.len() {
            let size = self.slots.len() * 2;
            self.slots = vec![0; size];
            self.stamps = vec![0; size];
            self.stamp = 1;
            let keys = std::mem::take(&mut self.keys);
            for k in keys {
                self.push(k);
            }
        }
    }
}

thread_local! {
    static DEDUP: std::cell::RefCell<Dedup> = std::cell::RefCell::new(Dedup::default());
}

fn scan_into(bytes: &[u8], keys: &mut Dedup) -> FileScan {
    keys.reset();
    let n = bytes.len();
    let mut module_decl = false;
    // A `#[cfg(..)]` that names a platform option has been read since the last `;` or brace, and
    // then `mod`: the `;` that closes `mod m;` marks the file.
    let (mut cfg_attr, mut platform_cfg, mut platform_mod) = (false, false, false);
    let mut nesting = crate::frontend::rust::Nesting::default();
    let (mut block_depth, mut line_comment) = (0usize, false);
    // The previous identifier was a definition keyword: in code, or anywhere (comments
    // included), so that both `fn /* c */ name` and code the scan wrongly takes for a comment
    // get their name tagged.
    let (mut def_code, mut def_any) = (false, false);
    let mut in_use = false;
    // The `use` being read is public; `vis` follows `pub` (1) and its `(crate)`, `(in a::b)` (2)
    // up to the word after it. A word in a comment never clears it, so that a comment between
    // `pub` and `use` (or code the scan takes for one) only adds marks.
    let (mut pub_use, mut vis) = (false, 0u8);
    // The `impl` header being read, if any: one counting the brackets the scan takes for code,
    // one counting every bracket, so that a bracket in a comment (or code taken for one) only
    // makes the header longer in one of them.
    let (mut header_code, mut header_any) = (Header::default(), Header::default());
    let mut prev_word: Option<u32> = None;
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b == b' ' || b == b'\t' {
            // Blanks (a quarter of a file's bytes) end a word and change no state.
            i += 1;
            continue;
        }
        if ident_start(b) {
            let mut start = i;
            i += 1;
            while i < n && ident_continue(bytes[i]) {
                i += 1;
            }
            if i - start == 1
                && b == b'r'
                && i + 1 < n
                && bytes[i] == b'#'
                && ident_start(bytes[i + 1])
            {
                start = i + 1;
                i += 2;
                while i < n && ident_continue(bytes[i]) {
                    i += 1;
                }
            }
            let raw = start > 0 && bytes[start - 1] == b'#';
            let word = &bytes[start..i];
            let h = hash(word) & !TAG_BITS;
            // The word as the table of words the scan acts on spells it, or empty: most words
            // are none of them, and one probe of the table tells so.
            let (word, reserved) = known(word, h).unwrap_or((b"", false));
            // A reserved word names nothing (a raw identifier such as `r#type` is kept).
            if raw || !reserved {
                keys.push(h | ANY);
                if def_code || def_any {
                    keys.push(h | DEF);
                }
            }
            let in_comment = block_depth > 0 || line_comment;
            let name = (raw || !reserved).then_some(h | IMPL);
            // `for<'a>` is a bound's quantifier, not the start of the self type.
            let quantifier = || bytes[i..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
            let keyword = (!raw).then_some(word);
            header_any.word(name, keyword, quantifier);
            header_code.word(name, keyword.filter(|_| !in_comment), quantifier);
            if word == b"impl" && !raw {
                // In a comment too: `header_code` then waits for a `{` taken for code.
                header_code.start();
                header_any.start();
            }
            // `static mut NAME`: the name still follows a definition keyword.
            let kw = matches!(word, b"fn" | b"static" | b"ref" | b"macro_rules")
                || (word == b"mut" && (def_any || def_code));
            def_any = kw;
            if !in_comment {
                def_code = kw;
            }
            if word == b"use" || word == b"extern" {
                pub_use |= word == b"use" && vis == 1;
                in_use = true;
            } else if in_use {
                keys.push(h | USE);
            }
            if word == b"as" {
                if let Some(p) = prev_word {
                    keys.push(p | AS);
                }
            }
            if word == b"pub" && !raw {
                vis = 1;
            } else if vis == 1 && !in_comment {
                vis = 0;
            }
            prev_word = Some(h);
            if word == b"path" && !module_decl {
                module_decl = is_attribute_start(&bytes[..start]);
            }
            if word == b"cfg" && !in_comment {
                cfg_attr |= is_attribute_start(&bytes[..start]);
            } else if cfg_attr
                && matches!(
                    word,
                    b"windows" | b"unix" | b"wasm" | b"target_os" | b"target_family"
                )
            {
                platform_cfg = true;
            } else if word == b"mod" && platform_cfg && !in_comment {
                platform_mod = true;
            }
            continue;
        }
        if b.is_ascii_digit() {
            // Numbers (with suffixes) are never names.
            while i < n && ident_continue(bytes[i]) {
                i += 1;
            }
            continue;
        }
        // Brackets are never part of an identifier, a number or a comment's opener or closer.
        nesting.step(b);
        let after_dash = i > 0 && bytes[i - 1] == b'-';
        if header_any.step(b, after_dash) {
            header_any.flush(keys);
        }
        if block_depth == 0 && !line_comment && header_code.step(b, after_dash) {
            header_code.flush(keys);
        }
        let next = bytes.get(i + 1).copied();
        match (b, next) {
            (b'/', Some(b'/')) if block_depth == 0 => {
                line_comment = true;
                i += 2;
                continue;
            }
            (b'/', Some(b'*')) if !line_comment => {
                block_depth += 1;
                i += 2;
                continue;
            }
            (b'*', Some(b'/')) if block_depth > 0 => {
                block_depth -= 1;
                i += 2;
                continue;
            }
            (b'\n', _) => line_comment = false,
            // A `;` inside a comment does not end a `use`; one the scan wrongly takes for a
            // comment only makes the `use` longer.
            (b';', _) if block_depth == 0 && !line_comment => {
                in_use = false;
                pub_use = false;
                module_decl |= platform_mod;
                (cfg_attr, platform_cfg, platform_mod) = (false, false, false);
            }
            (b'{' | b'}', _) if block_depth == 0 && !line_comment => {
                (cfg_attr, platform_cfg, platform_mod) = (false, false, false);
            }
            (b'(', _) if vis == 1 => vis = 2,
            (b')', _) if vis == 2 => vis = 1,
            (b'*', _) if pub_use => {
                let h = hash(GLOB.as_bytes()) & !TAG_BITS;
                keys.push(h | ANY);
                keys.push(h | USE);
                let up = [&b"super"[..], b"crate"].map(|w| Some(hash(w) & !TAG_BITS));
                if up.contains(&prev_word) {
                    keys.push(key(GLOB_UP, USE));
                }
            }
            _ => {}
        }
        i += 1;
    }
    // A header the file leaves open (a trait's `fn f() -> impl A;` at its end) still counts.
    header_any.flush(keys);
    header_code.flush(keys);
    let mut keys = keys.keys.clone();
    keys.sort_unstable();
    FileScan {
        keys,
        module_decl,
        nesting: nesting.max,
    }
}

/// Where an `impl` header ends: at the first `{` outside generic arguments and brackets; and
/// which of its names may be the self type: those after a `for` outside them (the ones before
/// name the trait and the generics), up to a `where` outside them.
#[derive(Default)]
struct Header {
    open: bool,
    /// `<` not closed yet, outside brackets (`->` closes none).
    angles: u32,
    /// `(`, `[` and `{` not closed yet: inside them `<` is an operator and `{` a const block.
    groups: u32,
    /// The `IMPL` keys of the names since the header opened or since its last `for`, tagged once
    /// the header ends.
    pending: Vec<u32>,
    /// A `where` was met: the rest of the header is bounds.
    bounds: bool,
}

impl Header {
    /// A header closes with both counts at zero; an `impl` met inside an open one (in a
    /// comment, or `fn f(_: impl A) -> impl B`) keeps the counts, which can only make it longer.
    fn start(&mut self) {
        self.open = true;
        self.bounds = false;
    }

    /// A word of the header: `name` is its key, if it is a name; `keyword` its text, if it may be
    /// the `for` or `where` of this header (code, not a raw identifier); `quantifier` whether a
    /// `for` is followed by `<`. An unsure word only keeps more names.
    fn word(&mut self, name: Option<u32>, keyword: Option<&[u8]>, quantifier: impl Fn() -> bool) {
        if !self.open || self.bounds {
            return;
        }
        if self.angles == 0 && self.groups == 0 {
            match keyword {
                Some(b"for") if !quantifier() => {
                    self.pending.clear();
                    return;
                }
                Some(b"where") => {
                    self.bounds = true;
                    return;
                }
                _ => {}
            }
        }
        self.pending.extend(name);
    }

    /// Tags the names kept for the self type.
    fn flush(&mut self, keys: &mut Dedup) {
        for k in self.pending.drain(..) {
            keys.push(k);
        }
        self.bounds = false;
    }

    /// Follows a bracket; true when it ends the header.
    fn step(&mut self, b: u8, after_dash: bool) -> bool {
        if !self.open {
            return false;
        }
        match b {
            b'{' if self.groups == 0 && self.angles == 0 => {
                self.open = false;
                return true;
            }
            b'(' | b'[' | b'{' => self.groups += 1,
            b')' | b']' | b'}' => self.groups = self.groups.saturating_sub(1),
            b'<' if self.groups == 0 => self.angles += 1,
            b'>' if self.groups == 0 && !after_dash => self.angles = self.angles.saturating_sub(1),
            _ => {}
        }
        false
    }
}

/// The words the scan acts on besides the reserved ones.
const ACTED_ON: &[&[u8]] = &[
    b"macro_rules",
    b"path",
    b"cfg",
    b"windows",
    b"unix",
    b"wasm",
    b"target_os",
    b"target_family",
];

/// Buckets of the words the scan acts on (the reserved words and `ACTED_ON`), by their hash:
/// each with whether it is reserved.
type Known = Vec<Vec<(&'static [u8], bool)>>;

const KNOWN_BUCKETS: usize = 256;

fn known_table() -> &'static Known {
    static TABLE: std::sync::OnceLock<Known> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: Known = vec![Vec::new(); KNOWN_BUCKETS];
        let words = KEYWORDS
            .iter()
            .map(|w| (*w, true))
            .chain(ACTED_ON.iter().map(|w| (*w, false)));
        for (w, reserved) in words {
            table[bucket(hash(w) & !TAG_BITS)].push((w, reserved));
        }
        table
    })
}

fn bucket(h: u32) -> usize {
    (h >> TAG_BITS) as usize % KNOWN_BUCKETS
}

/// The word, if the scan acts on it (`h` is its hash), and whether it is reserved.
fn known(word: &[u8], h: u32) -> Option<(&'static [u8], bool)> {
    known_table()[bucket(h)]
        .iter()
        .find(|(w, _)| *w == word)
        .copied()
}

/// Reserved words of Rust (not the contextual ones such as `union` or `default`, which may be
/// names).
const KEYWORDS: &[&[u8]] = &[
    b"as",
    b"async",
    b"await",
    b"break",
    b"const",
    b"continue",
    b"crate",
    b"dyn",
    b"else",
    b"enum",
    b"extern",
    b"false",
    b"fn",
    b"for",
    b"if",
    b"impl",
    b"in",
    b"let",
    b"loop",
    b"match",
    b"mod",
    b"move",
    b"mut",
    b"pub",
    b"ref",
    b"return",
    b"self",
    b"Self",
    b"static",
    b"struct",
    b"super",
    b"trait",
    b"true",
    b"type",
    b"unsafe",
    b"use",
    b"where",
    b"while",
];

/// Whether the bytes before an identifier end in `#[` or `#![` (whitespace allowed), or in
/// `![` (a macro call, kept to stay on the safe side).
fn is_attribute_start(before: &[u8]) -> bool {
    let mut rest = before.trim_ascii_end();
    let Some(rest2) = rest.strip_suffix(b"[") else {
        return false;
    };
    rest = rest2.trim_ascii_end();
    rest.ends_with(b"#") || rest.ends_with(b"!")
}

/// For each key, the files holding it (in file order): the distinct keys, where each one's run
/// of files starts, and the runs.
#[derive(Debug, Default)]
pub struct Index {
    keys: Vec<u32>,
    starts: Vec<u32>,
    files: Vec<u32>,
}

impl Index {
    /// Builds the index from each file's keys (the position in `files` is the file's number).
    pub fn build(files: &[&[u32]]) -> Index {
        let total = files.iter().map(|k| k.len()).sum();
        let mut entries: Vec<u64> = Vec::with_capacity(total);
        for (fi, keys) in files.iter().enumerate() {
            entries.extend(keys.iter().map(|&k| (u64::from(k) << 32) | fi as u64));
        }
        rayon_sort(&mut entries);
        let mut index = Index {
            keys: Vec::new(),
            starts: Vec::new(),
            files: Vec::with_capacity(entries.len()),
        };
        for (i, &e) in entries.iter().enumerate() {
            let key = (e >> 32) as u32;
            if index.keys.last() != Some(&key) {
                index.keys.push(key);
                index.starts.push(i as u32);
            }
            index.files.push(e as u32);
        }
        index.starts.push(entries.len() as u32);
        index.keys.shrink_to_fit();
        index.starts.shrink_to_fit();
        index
    }

    fn run(&self, key: u32) -> &[u32] {
        match self.keys.binary_search(&key) {
            Ok(i) => &self.files[self.starts[i] as usize..self.starts[i + 1] as usize],
            Err(_) => &[],
        }
    }

    /// The files holding `key`, in file order.
    pub fn files(&self, key: u32) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.run(key).iter().map(|&f| f as usize)
    }

    /// Whether `file` holds `key`.
    pub fn contains(&self, key: u32, file: usize) -> bool {
        self.run(key).binary_search(&(file as u32)).is_ok()
    }

    /// (key, file) pairs.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn rayon_sort(v: &mut [u64]) {
    use rayon::slice::ParallelSliceMut;
    v.par_sort_unstable();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_knows_every_word_the_scan_acts_on() {
        for w in KEYWORDS.iter().chain(ACTED_ON) {
            let found = known(w, hash(w) & !TAG_BITS);
            assert_eq!(found, Some((*w, KEYWORDS.contains(w))));
        }
        assert_eq!(known(b"fork", hash(b"fork") & !TAG_BITS), None);
    }

    fn has(s: &FileScan, name: &str, kind: u32) -> bool {
        s.has(key(name, kind))
    }

    #[test]
    fn tags_definitions_uses_and_raw_identifiers() {
        let s = scan(
            b"use a::{b, c as d};\npub fn /* odd */ spawn_all() { x.r#match(); }\n\
              static ref POOL: u8 = 0; lazy_static! { static ref CELL: X = X::new(); }\n\
              macro_rules! m { () => {} }",
        );
        for (name, kind) in [
            ("a", USE),
            ("b", USE),
            ("d", USE),
            ("spawn_all", DEF),
            ("match", ANY),
            ("POOL", DEF),
            ("CELL", DEF),
            ("m", DEF),
            ("c", AS),
            ("new", ANY),
        ] {
            assert!(has(&s, name, kind), "{name} {kind}");
        }
        assert!(has(&s, "r#match", ANY), "queries strip r# as the scan does");
        assert!(!has(&s, "spawn_all", USE), "the use ended at `;`");
        assert!(!has(&s, "x", DEF));
        assert!(!has(&s, "fn", ANY), "reserved words are not indexed");
        let s = scan(b"static mut COUNTER: u8 = 0; fn f() { let mut local = 1; x.r#type(); }");
        assert!(has(&s, "COUNTER", DEF));
        assert!(!has(&s, "local", DEF));
        assert!(has(&s, "type", ANY), "raw identifiers are indexed");
        assert!(!s.module_decl);
    }

    #[test]
    fn impl_headers_tag_the_names_of_the_self_type() {
        let s = scan(
            b"impl<F: Fn(u8) -> u8, const N: usize> Tr<{ N }, [u8; 2]> for a::Plain<F> \
              where F: Copy { fn run(&self) { let x = Other::new(); } }\n\
              impl /* { */ Commented {}\n\
              impl Grouped<Vec<Box<Inner>>> {}\n\
              let u = \"http://\"; impl Lined {}\n\
              fn f(x: impl Into<Arg>) -> impl Iterator<Item = Ret> { Body }\n\
              impl dyn for<'a> Quantified<'a> {}\n\
              impl Shown /* for hidden */ {}\n\
              impl Tr2<Before> for Vec<Selfish> where T: for<'b> Bound<'b> {}",
        );
        let tagged = "a Plain F Commented Grouped Inner Lined Arg Ret Quantified Shown Vec Selfish";
        for name in tagged.split(' ') {
            assert!(has(&s, name, IMPL), "{name}");
        }
        // Traits, generics before `for`, bounds after `where`, bodies.
        for name in [
            "Tr", "N", "Copy", "Tr2", "Before", "T", "Bound", "run", "Other", "new",
        ] {
            assert!(!has(&s, name, IMPL), "{name}");
        }
        for name in ["Body", "u"] {
            assert!(!has(&s, name, IMPL), "{name}");
        }
        assert!(!has(&s, "r#impl", IMPL));
        let s = scan(b"let r#impl = 1; Free {}");
        assert!(!has(&s, "Free", IMPL), "a raw identifier opens no header");
        let s = scan(b"use a::T::{self as U}; impl U {}");
        assert!(has(&s, "self", AS) && has(&s, "T", USE) && has(&s, "U", IMPL));
    }

    #[test]
    fn nesting_is_counted_as_the_parser_guard_counts_it() {
        for text in [
            &b"fn f() { let v = [(1, 2)]; /* ((( */ \"[[\" }"[..],
            b"r#fn(a[0]) 1e3({ })) ]]]] {{",
            b"",
        ] {
            assert_eq!(
                scan(text).nesting,
                crate::frontend::rust::max_nesting(text),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn a_semicolon_in_a_comment_does_not_end_a_use() {
        let s = scan(b"use a::{b, // c;\n d};");
        assert!(has(&s, "d", USE));
    }

    #[test]
    fn a_comment_opener_inside_a_string_only_adds_tags() {
        let s = scan(b"let s = \"src/*.rs\";\nfn real() {}\nuse x::y;");
        assert!(has(&s, "real", DEF));
        assert!(has(&s, "y", USE));
    }

    #[test]
    fn public_globs_are_marked_and_private_ones_are_not() {
        let marked = |text: &[u8]| has(&scan(text), GLOB, USE) && has(&scan(text), GLOB, ANY);
        for text in [
            &b"pub use imp::*;"[..],
            b"pub(crate) use a::{b::*, c};",
            b"pub(in crate::a) use self::m::*;",
            b"pub /* re-exported */ use unix::*;",
            b"#[cfg(unix)]
pub use
  sys::*;",
        ] {
            assert!(marked(text), "{}", String::from_utf8_lossy(text));
        }
        assert!(has(&scan(b"pub use super::*;"), GLOB_UP, USE));
        assert!(has(&scan(b"pub(crate) use crate::*;"), GLOB_UP, USE));
        assert!(!has(&scan(b"pub use super::m::*;"), GLOB_UP, USE));
        for text in [
            &b"use super::*;"[..],
            b"pub fn f() { let x = 2 * 3; } use a::*;",
            b"pub struct S; use b::*;",
            b"pub use a::b; let y = 1 * 2;",
        ] {
            assert!(!marked(text), "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn module_declarations() {
        assert!(scan(b"#[path = \"x.rs\"] mod m;").module_decl);
        assert!(scan(b"# [ path=\"x.rs\"]\nmod m;").module_decl);
        assert!(!scan(b"use std::path::Path; let p = path;").module_decl);
        assert!(scan(b"#[cfg(windows)]\npub(crate) mod service;").module_decl);
        assert!(scan(b"#[cfg(target_os = \"windows\")] #[allow(x)] mod w;").module_decl);
        assert!(scan(b"#[cfg(not(unix))] mod w;").module_decl);
        assert!(!scan(b"#[cfg(test)] mod tests;").module_decl);
        assert!(!scan(b"#[cfg(windows)] mod w { fn f() {} }").module_decl);
        assert!(!scan(b"#[cfg(windows)] use a::b; mod m;").module_decl);
        assert!(!scan(b"#[cfg(windows)] fn f() {} mod m;").module_decl);
    }

    #[test]
    fn index_lists_the_files_holding_a_key() {
        let a = scan(b"fn f() { g() }");
        let b = scan(b"fn g() {}");
        let index = Index::build(&[&a.keys, &b.keys]);
        assert_eq!(index.files(key("g", ANY)).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(index.files(key("g", DEF)).collect::<Vec<_>>(), [1]);
        assert_eq!(index.files(key("h", ANY)).count(), 0);
    }
}
