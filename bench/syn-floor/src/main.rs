//! The parse floor: what parsing every `.rs` file under the given folders with
//! `syn::parse_file` and walking it with `syn::visit` costs on N threads (default 2), largest
//! file first so that no thread is left alone with a big one.

use rayon::prelude::*;
use std::path::PathBuf;
use syn::visit::Visit;

#[derive(Default)]
struct Count(u64);

impl<'ast> Visit<'ast> for Count {
    fn visit_ident(&mut self, _: &'ast proc_macro2::Ident) {
        self.0 += 1;
    }
}

fn main() {
    let threads: usize = std::env::var("FLOOR_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(2);
    let mut files: Vec<(u64, PathBuf)> = Vec::new();
    for root in std::env::args().skip(1) {
        for entry in walkdir::WalkDir::new(root).into_iter().filter_map(Result::ok) {
            if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "rs") {
                let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                files.push((len, entry.into_path()));
            }
        }
    }
    files.sort_by(|a, b| b.cmp(a));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(256 << 20)
        .build()
        .expect("thread pool");
    let (idents, errors): (u64, usize) = pool.install(|| {
        files
            .par_iter()
            .with_max_len(1)
            .map(|(_, path)| {
                let Ok(text) = std::fs::read_to_string(path) else {
                    return (0, 1);
                };
                match syn::parse_file(&text) {
                    Ok(file) => {
                        let mut count = Count::default();
                        count.visit_file(&file);
                        (count.0, 0)
                    }
                    Err(_) => (0, 1),
                }
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    println!("{} files, {idents} identifiers, {errors} not parsed", files.len());
}
