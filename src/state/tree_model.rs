//! What the tree view draws: placed nodes with their markers and the edges between them, built
//! from the run history by the pure layout.

use gepa_core::events::Origin;

use super::history::RunHistory;
use super::tree_layout::{TreeNode, layout};

/// Column width and row height of the drawing, in SVG units.
pub const COLUMN: f64 = 46.0;
/// Row height.
pub const ROW: f64 = 64.0;
/// Margin around the drawing.
pub const MARGIN: f64 = 28.0;

/// How a node looks (everything but its position), so a moved node updates one attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeLook {
    /// Pool index, for candidates.
    pub candidate: Option<usize>,
    /// Mean validation score (candidates).
    pub score: Option<f64>,
    /// How it was made.
    pub origin: Option<Origin>,
    /// On the Pareto front.
    pub front: bool,
    /// The current best.
    pub best: bool,
    /// The parent of an iteration in flight.
    pub reflecting: bool,
    /// Pinned as the next parent.
    pub pinned: bool,
    /// Excluded from selection.
    pub excluded: bool,
    /// A rejected proposal.
    pub ghost: bool,
    /// The proposal a ghost stands for (index into the history's proposals).
    pub proposal: Option<usize>,
    /// A candidate of the user's waiting for its validation pass.
    pub pending: bool,
}

impl NodeLook {
    /// Screen-reader description.
    #[must_use]
    pub fn label(&self) -> String {
        if self.pending {
            return "Your candidate, waiting for its validation pass".into();
        }
        let (Some(index), Some(score)) = (self.candidate, self.score) else {
            return "A rejected proposal: select it to see why".into();
        };
        let mut label = format!("Candidate {index}, validation score {score:.2}");
        for (on, what) in [
            (self.best, "best"),
            (self.front, "on the Pareto front"),
            (self.origin == Some(Origin::Human), "made by you"),
            (self.origin == Some(Origin::Merge), "a merge"),
            (self.reflecting, "being improved now"),
            (self.pinned, "pinned as the next parent"),
            (self.excluded, "excluded from selection"),
        ] {
            if on {
                label.push_str(", ");
                label.push_str(what);
            }
        }
        label
    }

    /// CSS classes for the node's markers.
    #[must_use]
    pub fn classes(&self) -> String {
        let mut c = String::from("node");
        for (on, name) in [
            (self.front, " front"),
            (self.best, " best"),
            (self.reflecting, " reflecting"),
            (self.pinned, " pinned"),
            (self.excluded, " excluded"),
            (self.ghost, " ghost"),
            (self.pending, " pending"),
        ] {
            if on {
                c.push_str(name);
            }
        }
        c
    }
}

/// A node as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    /// Node id (pool index; for ghosts `candidates + proposal index`; for the user's queued
    /// candidates `candidates + proposals + their place in the queue`).
    pub id: usize,
    /// Centre.
    pub x: f64,
    /// Centre.
    pub y: f64,
    /// Markers and label.
    pub look: NodeLook,
}

/// An edge as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeView {
    /// From (parent) centre.
    pub from: (f64, f64),
    /// To (child) centre.
    pub to: (f64, f64),
    /// A merge's second parent.
    pub secondary: bool,
    /// To a ghost or pending node.
    pub ghost: bool,
}

/// The whole drawing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreeModel {
    /// Nodes, candidates first.
    pub nodes: Vec<NodeView>,
    /// Edges.
    pub edges: Vec<EdgeView>,
    /// Drawing width.
    pub width: f64,
    /// Drawing height.
    pub height: f64,
    index: std::collections::HashMap<usize, usize>,
}

impl TreeModel {
    /// Builds the drawing; `ghosts` adds rejected proposals as faint leaves. The user's queued
    /// candidates are always drawn, as pending leaves of the candidate they were edited from.
    #[must_use]
    pub fn build(history: &RunHistory, ghosts: bool) -> TreeModel {
        let n = history.candidates.len();
        let mut nodes: Vec<TreeNode> = history
            .candidates
            .iter()
            .map(|c| TreeNode { id: c.index, parent: c.parents.first().copied() })
            .collect();
        // Faint leaves: (node id, parent, the proposal a ghost stands for).
        let mut leaves: Vec<(usize, Option<usize>, Option<usize>)> = Vec::new();
        if ghosts {
            leaves.extend(history.rejected().map(|(i, p)| (n + i, Some(p.parent), Some(i))));
        }
        let pending_from = n + history.proposals.len();
        leaves.extend(
            history
                .queued
                .iter()
                .enumerate()
                .map(|(k, parent)| (pending_from + k, parent.filter(|p| *p < n), None)),
        );
        nodes.extend(leaves.iter().map(|(id, parent, _)| TreeNode { id: *id, parent: *parent }));
        let placed = layout(&nodes);
        let at =
            |column: f64, depth: u32| (MARGIN + column * COLUMN, MARGIN + f64::from(depth) * ROW);
        let best = history.best();
        let mut views: Vec<NodeView> = Vec::with_capacity(placed.nodes.len());
        for p in &placed.nodes {
            let (x, y) = at(p.column, p.depth);
            let look = match history.candidates.get(p.id) {
                Some(c) if p.id < n => NodeLook {
                    candidate: Some(c.index),
                    score: Some(c.mean),
                    origin: Some(c.origin),
                    front: history.front.contains(&c.index),
                    best: best == Some(c.index),
                    reflecting: history.improving.contains(&c.index),
                    pinned: history.pinned == Some(c.index),
                    excluded: history.excluded.contains(&c.index),
                    ..NodeLook::default()
                },
                _ if p.id >= pending_from => {
                    NodeLook { origin: Some(Origin::Human), pending: true, ..NodeLook::default() }
                }
                _ => NodeLook { ghost: true, proposal: Some(p.id - n), ..NodeLook::default() },
            };
            views.push(NodeView { id: p.id, x, y, look });
        }
        let index: std::collections::HashMap<usize, usize> =
            views.iter().enumerate().map(|(i, v)| (v.id, i)).collect();
        let pos = |id: usize| index.get(&id).map(|i| (views[*i].x, views[*i].y));
        let mut edges = Vec::new();
        for c in &history.candidates {
            for (k, parent) in c.parents.iter().enumerate() {
                if let (Some(from), Some(to)) = (pos(*parent), pos(c.index)) {
                    edges.push(EdgeView { from, to, secondary: k > 0, ghost: false });
                }
            }
        }
        for (id, parent, _) in &leaves {
            if let (Some(from), Some(to)) = (parent.and_then(pos), pos(*id)) {
                edges.push(EdgeView { from, to, secondary: false, ghost: true });
            }
        }
        TreeModel {
            nodes: views,
            edges,
            width: 2.0 * MARGIN + (placed.columns.max(1) - 1) as f64 * COLUMN,
            height: 2.0 * MARGIN + f64::from(placed.levels.max(1) - 1) * ROW,
            index,
        }
    }

    /// The node with this id.
    #[must_use]
    pub fn node(&self, id: usize) -> Option<&NodeView> {
        self.index.get(&id).and_then(|i| self.nodes.get(*i))
    }

    /// The edges as three SVG paths (primary links, merge links, links to ghosts), so the
    /// view sets three attributes however many edges there are.
    #[must_use]
    pub fn edge_paths(&self) -> [String; 3] {
        let mut paths = [String::new(), String::new(), String::new()];
        for e in &self.edges {
            let (slot, d) = if e.secondary {
                let (mx, my) = ((e.from.0 + e.to.0) / 2.0 + 24.0, (e.from.1 + e.to.1) / 2.0);
                (
                    1,
                    format!(
                        "M{:.1},{:.1}Q{mx:.1},{my:.1} {:.1},{:.1}",
                        e.from.0, e.from.1, e.to.0, e.to.1
                    ),
                )
            } else {
                let my = (e.from.1 + e.to.1) / 2.0;
                let d = format!(
                    "M{:.1},{:.1}C{:.1},{my:.1} {:.1},{my:.1} {:.1},{:.1}",
                    e.from.0, e.from.1, e.from.0, e.to.0, e.to.0, e.to.1
                );
                (if e.ghost { 2 } else { 0 }, d)
            };
            paths[slot].push_str(&d);
        }
        paths
    }

    /// Node ids in drawing order.
    #[must_use]
    pub fn ids(&self) -> Vec<usize> {
        self.nodes.iter().map(|n| n.id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::history::{CandidateInfo, Outcome, ProposalInfo};
    use gepa_core::Candidate;
    use gepa_core::events::Rejection;

    fn candidate(index: usize, parents: Vec<usize>, mean: f64, origin: Origin) -> CandidateInfo {
        CandidateInfo {
            index,
            parents,
            origin,
            program: Candidate::new([("system", "x")]),
            val_scores: Default::default(),
            mean,
            iteration: 0,
            discovered_at: 0,
            admitted_at: 0,
            proposal: None,
        }
    }

    #[test]
    fn markers_edges_and_ghosts_follow_the_history() {
        let mut h = RunHistory::default();
        h.candidates = vec![
            candidate(0, vec![], 0.2, Origin::Seed),
            candidate(1, vec![0], 0.5, Origin::Reflection),
            candidate(2, vec![0], 0.4, Origin::Human),
            candidate(3, vec![1, 2], 0.7, Origin::Merge),
        ];
        h.front = [3].into_iter().collect();
        h.improving.insert(1);
        h.pinned = Some(2);
        h.proposals.push(ProposalInfo {
            iteration: 1,
            task: 0,
            parent: 1,
            pinned: false,
            component: "system".into(),
            parent_eval: Default::default(),
            child_eval: None,
            prompt: String::new(),
            raw_reply: String::new(),
            proposal: String::new(),
            retries: Vec::new(),
            salvaged: false,
            builds_on: None,
            builds_on_read: false,
            outcome: Outcome::Rejected(Rejection::DuplicateInIteration),
        });
        let plain = TreeModel::build(&h, false);
        assert_eq!(plain.nodes.len(), 4);
        assert_eq!(plain.edges.iter().filter(|e| e.secondary).count(), 1, "one merge link");
        let best = &plain.nodes.iter().find(|n| n.look.best).unwrap().look;
        assert_eq!(best.candidate, Some(3));
        assert!(best.front && best.label().contains("best") && best.label().contains("a merge"));
        assert_eq!(best.classes(), "node front best");
        assert!(plain.nodes[1].look.reflecting && plain.nodes[2].look.pinned);
        assert!(plain.nodes[2].look.label().contains("made by you"));
        let with_ghosts = TreeModel::build(&h, true);
        assert_eq!(with_ghosts.nodes.len(), 5);
        assert!(with_ghosts.nodes[4].look.ghost);
        assert_eq!(with_ghosts.nodes[4].look.proposal, Some(0), "a ghost knows its proposal");
        assert!(with_ghosts.nodes[4].look.label().contains("select it to see why"));
        assert_eq!(with_ghosts.edges.iter().filter(|e| e.ghost).count(), 1);
        assert!(with_ghosts.width >= plain.width);
        // A queued candidate of the user's is a pending leaf of the one it was edited from,
        // with or without ghosts, until its validation pass admits it.
        h.queued = vec![Some(1), None];
        let queued = TreeModel::build(&h, true);
        let pending: Vec<&NodeView> = queued.nodes.iter().filter(|n| n.look.pending).collect();
        assert_eq!(pending.iter().map(|n| n.id).collect::<Vec<_>>(), [5, 6]);
        assert!(pending[0].look.classes().ends_with(" pending"));
        assert!(pending[0].look.label().starts_with("Your candidate, waiting"));
        let parent = queued.node(1).unwrap();
        assert!(pending[0].y > parent.y, "drawn below #1");
        assert_eq!(queued.edges.iter().filter(|e| e.ghost).count(), 2, "the ghost's and #1's link");
    }
}
