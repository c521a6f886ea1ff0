//! A tidy layout of the candidate tree: the primary-parent tree (each candidate under its first
//! parent) laid out so that leaves take consecutive columns in depth-first order and every
//! parent is centred over its children. Subtrees occupy disjoint column ranges, so nodes never
//! overlap; the result depends only on the input, so it is deterministic. Merge edges (second
//! parents) are drawn as secondary links by the view. O(n).
//!
//! Written by hand (about sixty lines) because the layout must stay stable as nodes arrive one by
//! one and treat a DAG's extra parents as links, which general graph-layout crates do not do.

/// One node to place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeNode {
    /// Node id (pool index for candidates; ghosts use ids after the candidates).
    pub id: usize,
    /// Primary parent id; `None` for a root.
    pub parent: Option<usize>,
}

/// A placed node: `column` in leaf columns (may be fractional), `depth` from the root.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    /// Node id.
    pub id: usize,
    /// Horizontal position in columns.
    pub column: f64,
    /// Depth (root = 0).
    pub depth: u32,
}

/// The layout of a forest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// Placed nodes, in input order.
    pub nodes: Vec<Placed>,
    /// Number of leaf columns used.
    pub columns: usize,
    /// Deepest depth + 1.
    pub levels: u32,
}

impl Layout {
    /// Where node `id` is.
    #[must_use]
    pub fn get(&self, id: usize) -> Option<&Placed> {
        self.nodes.iter().find(|p| p.id == id)
    }
}

/// Lays out `nodes`. A node whose parent is missing (or comes later) is a root.
#[must_use]
pub fn layout(nodes: &[TreeNode]) -> Layout {
    let n = nodes.len();
    let position: std::collections::HashMap<usize, usize> =
        nodes.iter().enumerate().map(|(i, node)| (node.id, i)).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        match node.parent.and_then(|p| position.get(&p)).filter(|p| **p < i) {
            Some(&p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    let mut column = vec![0.0; n];
    let mut depth = vec![0u32; n];
    let mut next_leaf = 0usize;
    // Iterative post-order walk (deep trees must not overflow the stack).
    for root in roots {
        let mut stack = vec![(root, 0usize)];
        while let Some(&mut (node, ref mut next_child)) = stack.last_mut() {
            if let Some(&child) = children[node].get(*next_child) {
                *next_child += 1;
                depth[child] = depth[node] + 1;
                stack.push((child, 0));
                continue;
            }
            stack.pop();
            column[node] = match (children[node].first(), children[node].last()) {
                (Some(&first), Some(&last)) => (column[first] + column[last]) / 2.0,
                _ => {
                    next_leaf += 1;
                    (next_leaf - 1) as f64
                }
            };
        }
    }
    Layout {
        nodes: nodes
            .iter()
            .enumerate()
            .map(|(i, node)| Placed { id: node.id, column: column[i], depth: depth[i] })
            .collect(),
        columns: next_leaf,
        levels: depth.iter().max().map_or(0, |d| d + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gepa_core::Rng;

    fn random_tree(n: usize, seed: u64) -> Vec<TreeNode> {
        let mut rng = Rng::from_seed(seed);
        (0..n).map(|id| TreeNode { id, parent: (id > 0).then(|| rng.below(id)) }).collect()
    }

    fn assert_tidy(nodes: &[TreeNode], l: &Layout) {
        // No two nodes of a level closer than one column.
        let mut by_level: std::collections::BTreeMap<u32, Vec<f64>> = Default::default();
        for p in &l.nodes {
            by_level.entry(p.depth).or_default().push(p.column);
        }
        for columns in by_level.values_mut() {
            columns.sort_by(f64::total_cmp);
            for pair in columns.windows(2) {
                assert!(pair[1] - pair[0] >= 0.5 - 1e-9, "overlap: {pair:?}");
            }
        }
        // Parents sit one level above, within their children's span.
        for node in nodes {
            let me = l.get(node.id).unwrap();
            if let Some(parent) = node.parent.and_then(|p| l.get(p)) {
                assert_eq!(me.depth, parent.depth + 1);
            }
            let kids: Vec<f64> = nodes
                .iter()
                .filter(|c| c.parent == Some(node.id))
                .map(|c| l.get(c.id).unwrap().column)
                .collect();
            if !kids.is_empty() {
                let lo = kids.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = kids.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                assert!((lo..=hi).contains(&me.column));
            }
        }
    }

    #[test]
    fn a_small_tree_is_centred_and_tidy() {
        let nodes = [
            TreeNode { id: 0, parent: None },
            TreeNode { id: 1, parent: Some(0) },
            TreeNode { id: 2, parent: Some(0) },
            TreeNode { id: 3, parent: Some(1) },
        ];
        let l = layout(&nodes);
        assert_eq!(l.columns, 2);
        assert_eq!(l.levels, 3);
        assert_eq!(l.get(3).unwrap().column, 0.0);
        assert_eq!(l.get(1).unwrap().column, 0.0);
        assert_eq!(l.get(2).unwrap().column, 1.0);
        assert_eq!(l.get(0).unwrap().column, 0.5);
        assert_tidy(&nodes, &l);
    }

    #[test]
    fn random_trees_never_overlap_and_layouts_are_deterministic() {
        for seed in 0..50 {
            let nodes = random_tree(1 + (seed as usize * 37) % 400, seed);
            let l = layout(&nodes);
            assert_tidy(&nodes, &l);
            assert_eq!(l, layout(&nodes));
        }
    }

    #[test]
    fn a_thousand_deep_nodes_and_orphans_are_handled() {
        let chain: Vec<TreeNode> =
            (0..1000).map(|id| TreeNode { id, parent: id.checked_sub(1) }).collect();
        let l = layout(&chain);
        assert_eq!((l.columns, l.levels), (1, 1000));
        let orphans = [TreeNode { id: 5, parent: Some(99) }, TreeNode { id: 6, parent: Some(5) }];
        let l = layout(&orphans);
        assert_eq!(l.get(5).unwrap().depth, 0);
        assert_eq!(l.get(6).unwrap().depth, 1);
    }
}
