//! Dependency order over env var names, and the cycles that prevent one.
//!
//! An explicit stack instead of recursion: a config is user input, and a
//! long chain of `A1=${A2}`, `A2=${A3}`, ... must not overflow the stack of
//! the server thread resolving it.

/// A depth-first walk's verdict on a graph whose node `i` depends on the
/// nodes `deps[i]` (each listed once).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Order {
    /// Every node, each after the nodes it depends on, except where a cycle
    /// makes that impossible; roots are taken in index order so the result
    /// follows the config.
    pub(crate) nodes: Vec<usize>,
    /// One cycle per back edge of the walk, in dependency order from the
    /// node the walk entered first: `[a, b]` means a → b → a. Every node
    /// that lies on a cycle of the graph is on one of these, or depends on
    /// one.
    pub(crate) cycles: Vec<Vec<usize>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    New,
    /// On the walk's current path: reaching it again closes a cycle.
    OnPath,
    Done,
}

pub(crate) fn dependency_order(deps: &[Vec<usize>]) -> Order {
    let mut marks = vec![Mark::New; deps.len()];
    let mut nodes = Vec::with_capacity(deps.len());
    let mut cycles = Vec::new();
    // The current path: each node with the position of its next dependency.
    let mut path: Vec<(usize, usize)> = Vec::new();
    for root in 0..deps.len() {
        if marks[root] != Mark::New {
            continue;
        }
        marks[root] = Mark::OnPath;
        path.push((root, 0));
        while let Some((node, next)) = path.last_mut() {
            let node = *node;
            let Some(&dep) = deps[node].get(*next) else {
                marks[node] = Mark::Done;
                nodes.push(node);
                path.pop();
                continue;
            };
            *next += 1;
            match marks[dep] {
                Mark::New => {
                    marks[dep] = Mark::OnPath;
                    path.push((dep, 0));
                }
                Mark::OnPath => {
                    let start = path.iter().position(|(on_path, _)| *on_path == dep).expect("marked on path");
                    cycles.push(path[start..].iter().map(|(on_path, _)| *on_path).collect());
                }
                Mark::Done => {}
            }
        }
    }
    Order { nodes, cycles }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_first() {
        // 0 → 1 → 2, 3 → 0
        let order = dependency_order(&[vec![1], vec![2], vec![], vec![0]]);
        assert_eq!(order, Order { nodes: vec![2, 1, 0, 3], cycles: vec![] });
    }

    #[test]
    fn independent_nodes_keep_their_order() {
        let order = dependency_order(&[vec![], vec![], vec![]]);
        assert_eq!(order.nodes, vec![0, 1, 2]);
    }

    #[test]
    fn shared_dependencies_are_walked_once() {
        let order = dependency_order(&[vec![2], vec![2], vec![]]);
        assert_eq!(order, Order { nodes: vec![2, 0, 1], cycles: vec![] });
    }

    #[test]
    fn self_loop_is_a_cycle_of_one() {
        let order = dependency_order(&[vec![0]]);
        assert_eq!(order.cycles, vec![vec![0]]);
        assert_eq!(order.nodes, vec![0]);
    }

    #[test]
    fn cycle_is_reported_from_where_the_walk_entered_it() {
        // 0 → 1 → 2 → 3 → 1, so the cycle is 1 → 2 → 3 → 1.
        let order = dependency_order(&[vec![1], vec![2], vec![3], vec![1]]);
        assert_eq!(order.cycles, vec![vec![1, 2, 3]]);
        assert_eq!(order.nodes.len(), 4);
    }

    #[test]
    fn distinct_cycles_are_each_reported_once() {
        // 0 ⇄ 1 and 2 ⇄ 3, with 4 depending on both.
        let order = dependency_order(&[vec![1], vec![0], vec![3], vec![2], vec![0, 2]]);
        assert_eq!(order.cycles, vec![vec![0, 1], vec![2, 3]]);
    }

    #[test]
    fn long_chains_do_not_recurse() {
        let n = 200_000;
        let deps: Vec<Vec<usize>> = (0..n).map(|i| if i + 1 < n { vec![i + 1] } else { vec![] }).collect();
        let order = dependency_order(&deps);
        assert_eq!(order.nodes.first(), Some(&(n - 1)));
        assert!(order.cycles.is_empty());
    }
}
