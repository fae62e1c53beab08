//! Property tests: generated straight-line programs (threads, runtimes and connections created,
//! threads joined, forks whose child execs or goes on) are analysed, and the findings must be
//! exactly what a small reference model of the rules predicts.

mod support;

use forklint::catalog::Catalog;
use proptest::prelude::*;
use std::collections::BTreeSet;
use support::programs::{render, Child, Event};

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => Just(Event::Spawn),
        1 => Just(Event::Runtime),
        2 => Just(Event::Connect),
        4 => any::<usize>().prop_map(Event::Join),
        1 => Just(Event::Noise),
        1 => Just(Event::Fork(Child::Exec)),
        2 => Just(Event::Fork(Child::Work)),
        1 => Just(Event::Fork(Child::Serve)),
        1 => Just(Event::Fork(Child::SpawnThenExit)),
    ]
}

fn analyse(source: &str) -> BTreeSet<(String, u32)> {
    let ir = forklint::frontend::rust::lower_source("gen.rs", source, "gen", Vec::new())
        .unwrap_or_else(|e| panic!("generated program must parse: {e}\n{source}"));
    let (findings, _) = forklint::analysis::analyze(vec![ir], Catalog::builtin());
    findings
        .into_iter()
        .map(|f| (f.rule, f.location.map_or(0, |l| l.line)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn findings_match_the_reference_model(events in proptest::collection::vec(event(), 0..24)) {
        let program = render(&events);
        let got = analyse(&program.source);
        prop_assert_eq!(&got, &program.expected, "\n{}", program.source);
    }
}

/// Hand-picked sequences the model must agree on, whatever the random cases cover.
#[test]
fn model_examples() {
    use Child::*;
    use Event::*;
    let cases: &[(&[Event], &[&str])] = &[
        (&[Spawn, Fork(Work)], &["FL001"]),
        (&[Spawn, Join(0), Fork(Work)], &[]),
        (&[Spawn, Fork(Exec)], &[]),
        (&[Connect, Fork(Work)], &[]),
        (&[Connect, Fork(Serve)], &["FL002"]),
        (&[Runtime, Connect, Fork(Serve)], &["FL001", "FL002"]),
        (&[Runtime, Connect, Fork(Work)], &["FL001"]),
        (&[Fork(SpawnThenExit), Fork(Work)], &[]),
        (&[Spawn, Fork(SpawnThenExit)], &["FL001", "FL005", "FL006"]),
        (&[Connect, Fork(SpawnThenExit)], &[]),
        (
            &[Spawn, Spawn, Join(0), Fork(Work), Join(0), Fork(Work)],
            &["FL001"],
        ),
    ];
    for (events, rules) in cases {
        let program = render(events);
        let got: Vec<String> = analyse(&program.source)
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        let mut want: Vec<String> = program.expected.iter().map(|(r, _)| r.clone()).collect();
        want.sort();
        assert_eq!(got, want, "{events:?}\n{}", program.source);
        let mut rules: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
        rules.sort();
        assert_eq!(want, rules, "the model itself: {events:?}");
    }
}
