//! A layered (Sugiyama-style) left-to-right layout of the DAG: each node in the column of its
//! longest path from a root, then the order within each column swept by the barycentre of
//! its neighbours to untangle edges.

use std::collections::{BTreeMap, HashMap};

/// Where each node sits, in pixels (top-left corner of its box).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    pub positions: HashMap<String, (f64, f64)>,
    pub width: f64,
    pub height: f64,
}

pub const NODE_WIDTH: f64 = 190.0;
pub const NODE_HEIGHT: f64 = 30.0;
const COLUMN_GAP: f64 = 80.0;
const ROW_GAP: f64 = 14.0;
const SWEEPS: usize = 6;

/// Lays out `nodes` (in a stable order) joined by `edges` (parent, child). Edges to nodes
/// not listed are ignored.
pub fn layered(nodes: &[String], edges: &[(String, String)]) -> Layout {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (p, c) in edges {
        if let (Some(&p), Some(&c)) = (index.get(p.as_str()), index.get(c.as_str()))
            && p != c
        {
            parents[c].push(p);
            children[p].push(c);
        }
    }
    // Longest path from a root; bounded relaxation so that a cycle cannot loop forever.
    let mut layer = vec![0usize; nodes.len()];
    for _ in 0..nodes.len() {
        let mut changed = false;
        for c in 0..nodes.len() {
            let want = parents[c].iter().map(|&p| layer[p] + 1).max().unwrap_or(0);
            if want > layer[c] && want < nodes.len() {
                layer[c] = want;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut columns: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &l) in layer.iter().enumerate() {
        columns.entry(l).or_default().push(i);
    }
    let mut columns: Vec<Vec<usize>> = columns.into_values().collect();
    let mut rank = vec![0f64; nodes.len()];
    let set_ranks = |columns: &Vec<Vec<usize>>, rank: &mut Vec<f64>| {
        for col in columns {
            for (r, &i) in col.iter().enumerate() {
                rank[i] = r as f64;
            }
        }
    };
    set_ranks(&columns, &mut rank);
    for sweep in 0..SWEEPS {
        let downward = sweep % 2 == 0;
        let order: Vec<usize> = if downward {
            (1..columns.len()).collect()
        } else {
            (0..columns.len().saturating_sub(1)).rev().collect()
        };
        for c in order {
            let neighbours = if downward { &parents } else { &children };
            let mut keyed: Vec<(f64, usize)> = columns[c]
                .iter()
                .map(|&i| {
                    let ns = &neighbours[i];
                    let key = if ns.is_empty() {
                        rank[i]
                    } else {
                        ns.iter().map(|&n| rank[n]).sum::<f64>() / ns.len() as f64
                    };
                    (key, i)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            columns[c] = keyed.into_iter().map(|(_, i)| i).collect();
            for (r, &i) in columns[c].iter().enumerate() {
                rank[i] = r as f64;
            }
        }
    }
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0) as f64;
    let height = tallest * (NODE_HEIGHT + ROW_GAP);
    let mut positions = HashMap::new();
    for (c, col) in columns.iter().enumerate() {
        let offset = (height - col.len() as f64 * (NODE_HEIGHT + ROW_GAP)) / 2.0;
        for (r, &i) in col.iter().enumerate() {
            positions.insert(
                nodes[i].clone(),
                (
                    c as f64 * (NODE_WIDTH + COLUMN_GAP),
                    offset + r as f64 * (NODE_HEIGHT + ROW_GAP),
                ),
            );
        }
    }
    Layout {
        positions,
        width: columns.len() as f64 * (NODE_WIDTH + COLUMN_GAP),
        height,
    }
}

/// The number of edge crossings between adjacent columns, to judge a layout.
pub fn crossings(layout: &Layout, edges: &[(String, String)]) -> usize {
    let segs: Vec<((f64, f64), (f64, f64))> = edges
        .iter()
        .filter_map(|(p, c)| Some((*layout.positions.get(p)?, *layout.positions.get(c)?)))
        .collect();
    let mut n = 0;
    for (i, a) in segs.iter().enumerate() {
        for b in &segs[i + 1..] {
            let same_span = a.0.0 == b.0.0 && a.1.0 == b.1.0;
            if same_span && (a.0.1 - b.0.1) * (a.1.1 - b.1.1) < 0.0 {
                n += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn edges(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn columns_follow_the_longest_path_from_a_root() {
        let nodes = ids(&["src", "stg", "int", "mart"]);
        let e = edges(&[
            ("src", "stg"),
            ("stg", "int"),
            ("int", "mart"),
            ("src", "mart"),
        ]);
        let l = layered(&nodes, &e);
        let x = |n: &str| l.positions[n].0;
        assert!(x("src") < x("stg") && x("stg") < x("int") && x("int") < x("mart"));
    }

    #[test]
    fn sweeps_untangle_crossed_edges() {
        // Sources listed in the opposite order to their children: a naive layout crosses.
        let nodes = ids(&[
            "a",
            "b",
            "c",
            "z_child_of_c",
            "y_child_of_b",
            "x_child_of_a",
        ]);
        let e = edges(&[
            ("a", "x_child_of_a"),
            ("b", "y_child_of_b"),
            ("c", "z_child_of_c"),
        ]);
        let l = layered(&nodes, &e);
        assert_eq!(crossings(&l, &e), 0);
    }

    #[test]
    fn a_cycle_does_not_hang() {
        let nodes = ids(&["a", "b"]);
        let l = layered(&nodes, &edges(&[("a", "b"), ("b", "a")]));
        assert_eq!(l.positions.len(), 2);
    }
}
