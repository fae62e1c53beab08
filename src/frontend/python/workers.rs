//! What a DataLoader's workers are handed, written on each fork call of that loader: the
//! objects given to the loader (its argument locals) and the code a worker runs (the dataset's
//! item methods, `collate_fn`, `worker_init_fn`) as the call's function arguments. A worker
//! runs that code and nothing else of the program (the catalogue's `handed_only`); the
//! analysis judges the parent's hazards by what it reaches.

use crate::ir::Call;

/// The function-argument position of the dataset's own methods: when none of them is a
/// function of the program, the dataset's code is not known here.
pub const DATASET_CODE: u32 = 0;

/// The position of the other functions handed (`collate_fn`, `worker_init_fn`): one that is not
/// a function of the program is a library's.
pub const HANDED_CODE: u32 = 1;

/// A function argument naming code that cannot be known here (a dataset whose class is not
/// known, a `collate_fn` made by a call): the workers may run anything.
pub const UNKNOWN_CODE: &str = "forklint::python::unknown_code";

/// What a worker calls on its dataset: `dataset[idx]` (or `__getitems__` for a batch), or
/// `iter(dataset)` for an IterableDataset (torch/utils/data/_utils/fetch.py).
const ITEM_METHODS: &[&str] = &["__getitem__", "__getitems__", "__iter__"];

/// The handed objects and code of one loader, as its construction saw them.
#[derive(Debug, Clone, Default)]
pub struct Handed {
    /// The function the loader was made in: its locals mean nothing elsewhere.
    made_in: String,
    vars: Vec<String>,
    code: Vec<(u32, String)>,
}

impl Handed {
    pub fn new(made_in: &str, vars: &[String]) -> Self {
        Handed {
            made_in: made_in.to_string(),
            vars: vars.to_vec(),
            code: Vec::new(),
        }
    }

    /// The dataset, by the class of its value when that is known.
    pub fn dataset(&mut self, class: Option<&str>) {
        match class {
            Some(class) => self.code.extend(
                ITEM_METHODS
                    .iter()
                    .map(|m| (DATASET_CODE, format!("{class}::{m}"))),
            ),
            None => self.code.push((DATASET_CODE, UNKNOWN_CODE.to_string())),
        }
    }

    /// A function handed by name (a path), or a value that names none.
    pub fn function(&mut self, path: Option<String>) {
        match path {
            Some(path) => self.code.push((HANDED_CODE, path)),
            None => self.code.push((DATASET_CODE, UNKNOWN_CODE.to_string())),
        }
    }

    /// Writes what the workers are handed on a fork call of the loader made in `here`: the
    /// locals handed where they are still the loader's (in the function that made it; a field
    /// of `self` in any method), and the local the loader is iterated through.
    pub fn write(&self, call: &mut Call, here: &str, iterated: Option<&str>) {
        let same = self.made_in == here;
        let vars = self
            .vars
            .iter()
            .filter(|v| same || v.starts_with("self."))
            .map(String::as_str)
            .chain(iterated);
        for v in vars {
            if !call.arg_vars.iter().any(|a| a == v) {
                call.arg_vars.push(v.to_string());
            }
        }
        call.fn_args = self.code.iter().cloned().collect();
    }
}
