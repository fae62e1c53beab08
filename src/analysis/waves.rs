//! The summary fixpoint, bottom-up over the call graph's strongly connected components: a
//! function is walked once every function it calls has its final summary, the functions of one
//! wave in parallel, and the functions of a cycle are walked together, in program order, until
//! none changes. A function's summary is then a function of what it calls alone, whatever else
//! the program holds (the files a prefilter left out, say) and whichever thread walks it.

use super::program::FnRef;
use rayon::prelude::*;
use std::collections::HashMap;

/// Walks every function of `all` (in program order) to its summary. `walk` reads the summaries
/// of its callees from the map it is given; `same` tells whether a new summary says nothing
/// the old one did not. In a cycle each function is walked at most `max_rounds` times. Returns
/// the summaries and the number of walks.
pub fn solve<S: Send + Sync>(
    all: &[FnRef],
    callers: &HashMap<FnRef, Vec<FnRef>>,
    max_rounds: usize,
    walk: impl Fn(FnRef, &HashMap<FnRef, S>) -> S + Sync,
    same: impl Fn(&S, &S) -> bool,
) -> (HashMap<FnRef, S>, usize) {
    let graph = Graph::new(all, callers);
    let (components, level) = graph.components();
    let mut by_level: Vec<Vec<usize>> = Vec::new();
    for (c, &l) in level.iter().enumerate() {
        if by_level.len() <= l {
            by_level.resize_with(l + 1, Vec::new);
        }
        by_level[l].push(c);
    }
    let mut summaries: HashMap<FnRef, S> = HashMap::with_capacity(all.len());
    let mut walks = 0;
    for wave in by_level {
        let (cycles, single): (Vec<usize>, Vec<usize>) = wave
            .into_iter()
            .partition(|&c| graph.is_cycle(&components[c]));
        let done: Vec<(FnRef, S)> = single
            .par_iter()
            .with_max_len(16)
            .map(|&c| {
                let f = all[components[c][0]];
                (f, walk(f, &summaries))
            })
            .collect();
        walks += done.len();
        summaries.extend(done);
        for c in cycles {
            walks += graph.cycle(
                &components[c],
                all,
                max_rounds,
                &mut summaries,
                &walk,
                &same,
            );
        }
    }
    (summaries, walks)
}

/// The call graph over positions in `all`: each function's callees and callers.
struct Graph {
    callees: Vec<Vec<usize>>,
    callers: Vec<Vec<usize>>,
}

impl Graph {
    fn new(all: &[FnRef], callers: &HashMap<FnRef, Vec<FnRef>>) -> Graph {
        let index: HashMap<FnRef, usize> = all.iter().enumerate().map(|(i, &f)| (f, i)).collect();
        let mut callees = vec![Vec::new(); all.len()];
        let mut up = vec![Vec::new(); all.len()];
        for (callee, list) in callers {
            let Some(&to) = index.get(callee) else {
                continue;
            };
            for caller in list {
                if let Some(&from) = index.get(caller) {
                    callees[from].push(to);
                    up[to].push(from);
                }
            }
        }
        for list in callees.iter_mut().chain(up.iter_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        Graph {
            callees,
            callers: up,
        }
    }

    /// The strongly connected components (Tarjan's, without recursion), callees' components
    /// first, each with its members in program order; and each component's wave: one more
    /// than the highest wave of a component it calls.
    fn components(&self) -> (Vec<Vec<usize>>, Vec<usize>) {
        let n = self.callees.len();
        const NONE: usize = usize::MAX;
        let mut order = vec![NONE; n];
        let mut low = vec![0; n];
        let mut on_stack = vec![false; n];
        let mut component = vec![NONE; n];
        let mut stack = Vec::new();
        let mut components: Vec<Vec<usize>> = Vec::new();
        let mut level: Vec<usize> = Vec::new();
        let mut next = 0;
        for root in 0..n {
            if order[root] != NONE {
                continue;
            }
            // (node, next callee to look at)
            let mut frames = vec![(root, 0)];
            order[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut i)) = frames.last_mut() {
                if let Some(&w) = self.callees[v].get(*i) {
                    *i += 1;
                    if order[w] == NONE {
                        order[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        frames.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(order[w]);
                    }
                    continue;
                }
                frames.pop();
                if let Some(&(parent, _)) = frames.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] != order[v] {
                    continue;
                }
                let id = components.len();
                let mut members = Vec::new();
                loop {
                    let w = stack.pop().expect("v is on the stack");
                    on_stack[w] = false;
                    component[w] = id;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                members.sort_unstable();
                // Every component it calls is complete already (found before it).
                let wave = members
                    .iter()
                    .flat_map(|&m| &self.callees[m])
                    .map(|&w| component[w])
                    .filter(|&c| c != id)
                    .map(|c| level[c] + 1)
                    .max()
                    .unwrap_or(0);
                components.push(members);
                level.push(wave);
            }
        }
        (components, level)
    }

    /// Several functions, or one that calls itself.
    fn is_cycle(&self, members: &[usize]) -> bool {
        members.len() > 1 || self.callees[members[0]].contains(&members[0])
    }

    /// Walks the functions of a cycle until no summary changes, each at most `max_rounds`
    /// times, from the last in program order back (a callee tends to come after its caller);
    /// a function whose summary changed has its callers in the cycle walked again. Returns the
    /// number of walks.
    fn cycle<S>(
        &self,
        members: &[usize],
        all: &[FnRef],
        max_rounds: usize,
        summaries: &mut HashMap<FnRef, S>,
        walk: &impl Fn(FnRef, &HashMap<FnRef, S>) -> S,
        same: &impl Fn(&S, &S) -> bool,
    ) -> usize {
        let index: HashMap<FnRef, usize> = members.iter().map(|&m| (all[m], m)).collect();
        super::worklist(members.iter().rev().map(|&m| all[m]), max_rounds, |f| {
            let summary = walk(f, summaries);
            if summaries.get(&f).is_some_and(|old| same(old, &summary)) {
                return Vec::new();
            }
            summaries.insert(f, summary);
            self.callers[index[&f]]
                .iter()
                .map(|&c| all[c])
                .filter(|c| index.contains_key(c))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary that is the sorted set of functions reachable from a function, itself included.
    fn reach(all: &[FnRef], edges: &[(FnRef, FnRef)]) -> HashMap<FnRef, Vec<FnRef>> {
        let mut callers: HashMap<FnRef, Vec<FnRef>> = HashMap::new();
        let mut callees: HashMap<FnRef, Vec<FnRef>> = HashMap::new();
        for &(from, to) in edges {
            callers.entry(to).or_default().push(from);
            callees.entry(from).or_default().push(to);
        }
        let (out, walks) = solve(
            all,
            &callers,
            12,
            |f, known| {
                let mut set = vec![f];
                for g in callees.get(&f).into_iter().flatten() {
                    set.extend(known.get(g).into_iter().flatten().copied());
                }
                set.sort_unstable();
                set.dedup();
                set
            },
            |a, b| a == b,
        );
        assert!(walks >= all.len());
        out
    }

    #[test]
    fn chains_and_cycles_reach_their_fixpoint_in_any_program_order() {
        let f = |i: u32| (0, i);
        // 0 → 1 → 2 ⇄ 3 → 4, 5 → 5, 6 alone.
        let edges = [
            (f(0), f(1)),
            (f(1), f(2)),
            (f(2), f(3)),
            (f(3), f(2)),
            (f(3), f(4)),
            (f(5), f(5)),
        ];
        let forward: Vec<FnRef> = (0..7).map(f).collect();
        let backward: Vec<FnRef> = forward.iter().rev().copied().collect();
        let a = reach(&forward, &edges);
        let b = reach(&backward, &edges);
        assert_eq!(a, b);
        assert_eq!(a[&f(0)], (0..5).map(f).collect::<Vec<_>>());
        assert_eq!(a[&f(3)], vec![f(2), f(3), f(4)]);
        assert_eq!(a[&f(5)], vec![f(5)]);
        assert_eq!(a[&f(6)], vec![f(6)]);
    }

    #[test]
    fn components_come_callees_first_with_their_waves() {
        let f = |i: u32| (0, i);
        let all: Vec<FnRef> = (0..4).map(f).collect();
        let mut callers: HashMap<FnRef, Vec<FnRef>> = HashMap::new();
        for (from, to) in [(0, 1), (1, 2), (2, 1), (2, 3)] {
            callers.entry(f(to)).or_default().push(f(from));
        }
        let graph = Graph::new(&all, &callers);
        let (components, level) = graph.components();
        assert_eq!(components, vec![vec![3], vec![1, 2], vec![0]]);
        assert_eq!(level, vec![0, 1, 2]);
        assert!(graph.is_cycle(&components[1]) && !graph.is_cycle(&components[2]));
    }
}
