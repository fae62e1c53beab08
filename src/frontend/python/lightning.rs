//! PyTorch Lightning: a trainer's `fit`/`validate`/`test`/`predict` asks the program's
//! `LightningModule`s and `LightningDataModule`s for their loaders (`train_dataloader()`, ...)
//! and iterates them, after it has set up what it runs on (its logger, and with GPUs CUDA and
//! the process group). Each such trainer call gets, right after it, a call of those loader
//! methods of every class of the program that derives from a Lightning module: a DataLoader
//! with workers made there forks them after the trainer's setup.

use super::link::{derives_from, is_python, max_id, Hierarchy};
use crate::ir::{Arm, Block, Branch, Call, Callee, FileIr, Node};
use rayon::prelude::*;

/// Lightning's trainer class, by the paths it is imported from (`pytorch_lightning` up to 1.9,
/// `lightning.pytorch` and its `lightning` alias since 2.0).
pub const TRAINERS: &[&str] = &[
    "pytorch_lightning::Trainer",
    "pytorch_lightning::trainer::Trainer",
    "pytorch_lightning::trainer::trainer::Trainer",
    "lightning::Trainer",
    "lightning::pytorch::Trainer",
    "lightning::pytorch::trainer::Trainer",
    "lightning::pytorch::trainer::trainer::Trainer",
];

/// The classes whose loader hooks a trainer calls, by the paths they are imported from.
const MODULES: &[&str] = &[
    "pytorch_lightning::LightningModule",
    "pytorch_lightning::LightningDataModule",
    "pytorch_lightning::core::LightningModule",
    "pytorch_lightning::core::LightningDataModule",
    "pytorch_lightning::core::lightning::LightningModule",
    "pytorch_lightning::core::module::LightningModule",
    "pytorch_lightning::core::datamodule::LightningDataModule",
    "lightning::LightningModule",
    "lightning::LightningDataModule",
    "lightning::pytorch::LightningModule",
    "lightning::pytorch::LightningDataModule",
    "lightning::pytorch::core::LightningModule",
    "lightning::pytorch::core::LightningDataModule",
    "lightning::pytorch::core::module::LightningModule",
    "lightning::pytorch::core::datamodule::LightningDataModule",
];

/// The loader hooks each trainer entry point asks for (Lightning docs, LightningDataModule:
/// `fit` runs the training loop and its validation, `validate`, `test` and `predict` their own).
fn hooks(entry: &str) -> &'static [&'static str] {
    match entry {
        "fit" | "tune" => &["train_dataloader", "val_dataloader"],
        "validate" => &["val_dataloader"],
        "test" => &["test_dataloader"],
        "predict" => &["predict_dataloader"],
        _ => &[],
    }
}

pub fn link(irs: &mut [FileIr], classes: &Hierarchy) {
    let (bases, methods) = classes;
    // The loader methods of the program's Lightning classes, by hook name: (class, hook).
    let mut loaders: Vec<(String, String)> = methods
        .iter()
        .filter_map(|m| m.rsplit_once("::"))
        .filter(|(class, name)| {
            name.ends_with("_dataloader") && derives_from(bases, class, MODULES)
        })
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
    if loaders.is_empty() {
        return;
    }
    loaders.sort();
    irs.par_iter_mut()
        .filter(|ir| is_python(ir))
        .for_each(|ir| {
            let mut next = max_id(ir) + 1;
            for f in &mut ir.functions {
                insert_after_trainer_calls(&mut f.body, &loaders, &mut next);
            }
        });
}

/// The trainer's type as the catalogue names it, whichever path it was imported from.
const CATALOGUED: &str = "lightning::pytorch::Trainer";

/// The hooks a call asks for, when it is a trainer's entry point (written then under the
/// trainer's catalogued type).
fn asked(call: &mut Call) -> &'static [&'static str] {
    match &mut call.callee {
        Callee::Method { name, ty: Some(ty) } if TRAINERS.contains(&ty.as_str()) => {
            *ty = CATALOGUED.to_string();
            hooks(name)
        }
        _ => &[],
    }
}

fn insert_after_trainer_calls(block: &mut Block, loaders: &[(String, String)], next: &mut u32) {
    let mut i = 0;
    while i < block.nodes.len() {
        let found = match &mut block.nodes[i] {
            Node::Call(c) => {
                let wanted = asked(c);
                (!wanted.is_empty()).then_some((wanted, c.span))
            }
            Node::Branch(b) => {
                for arm in &mut b.arms {
                    insert_after_trainer_calls(&mut arm.body, loaders, next);
                }
                None
            }
            Node::Loop { body, .. } | Node::Block(body) => {
                insert_after_trainer_calls(body, loaders, next);
                None
            }
            _ => None,
        };
        if let Some((wanted, span)) = found {
            // Which object the trainer was given is seldom known (it is built from a
            // configuration): any of the program's classes may be it.
            let arms: Vec<Arm> = loaders
                .iter()
                .filter(|(_, hook)| wanted.contains(&hook.as_str()))
                .map(|(class, hook)| {
                    let c = Call::new(
                        *next,
                        Callee::Method {
                            name: hook.clone(),
                            ty: Some(class.clone()),
                        },
                        span,
                    );
                    *next += 1;
                    Arm {
                        body: Block {
                            nodes: vec![Node::Call(c)],
                            ..Default::default()
                        },
                        span,
                        ..Default::default()
                    }
                })
                .collect();
            if !arms.is_empty() {
                block.nodes.insert(
                    i + 1,
                    Node::Branch(Branch {
                        span,
                        arms,
                        exhaustive: false,
                    }),
                );
                i += 1;
            }
        }
        i += 1;
    }
}
