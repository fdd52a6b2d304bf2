//! The project's dependency graph on petgraph: sources, seeds, models, snapshots and tests.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::project::Project;

/// Edges point from a node to the nodes that read it.
#[derive(Debug, Clone)]
pub struct Dag {
    graph: DiGraph<String, ()>,
    index: HashMap<String, NodeIndex>,
}

impl Dag {
    /// Builds the graph, or reports each cycle with its path.
    pub fn build(project: &Project) -> Result<Dag, Vec<Diagnostic>> {
        let mut graph = DiGraph::new();
        let mut index = HashMap::new();
        for id in project.sources.keys().chain(project.nodes.keys()) {
            index.insert(id.clone(), graph.add_node(id.clone()));
        }
        for node in project.nodes.values() {
            let to = index[&node.unique_id];
            for dep in &node.depends_on {
                if let Some(from) = index.get(dep) {
                    graph.add_edge(*from, to, ());
                }
            }
        }
        let dag = Dag { graph, index };
        let cycles: Vec<Diagnostic> = tarjan_scc(&dag.graph)
            .into_iter()
            .filter(|scc| scc.len() > 1 || dag.graph.contains_edge(scc[0], scc[0]))
            .map(|scc| dag.cycle_diagnostic(project, &scc))
            .collect();
        if cycles.is_empty() {
            Ok(dag)
        } else {
            Err(cycles)
        }
    }

    fn cycle_diagnostic(&self, project: &Project, scc: &[NodeIndex]) -> Diagnostic {
        // Walk the cycle from its first member in file order, staying inside the component.
        let members: HashSet<NodeIndex> = scc.iter().copied().collect();
        let start = scc
            .iter()
            .copied()
            .min_by_key(|i| project.nodes.get_index_of(&self.graph[*i]))
            .unwrap_or(scc[0]);
        let mut path = vec![start];
        let mut cur = start;
        loop {
            let next = self
                .graph
                .neighbors_directed(cur, Direction::Outgoing)
                .filter(|n| members.contains(n))
                .min_by_key(|n| usize::from(path.contains(n) && *n != start));
            match next {
                Some(n) if n == start || path.contains(&n) => {
                    path.push(n);
                    break;
                }
                Some(n) => {
                    path.push(n);
                    cur = n;
                }
                None => break,
            }
        }
        // Edges run from a node to its readers; people read a cycle as "depends on".
        path.reverse();
        let names: Vec<String> = path
            .iter()
            .map(|i| {
                let id = &self.graph[*i];
                project.nodes.get(id).map_or(id.clone(), |n| n.name.clone())
            })
            .collect();
        let first = project.nodes.get(&self.graph[path[0]]);
        let location = match (first, names.get(1)) {
            (Some(node), Some(next)) => {
                let text = project.files.text(&node.path).unwrap_or_default();
                let pattern = format!(r#"ref\s*\(\s*['"]{}['"]"#, regex::escape(next));
                match regex::Regex::new(&pattern)
                    .ok()
                    .and_then(|re| re.find(&text))
                {
                    Some(m) => {
                        let (line, col) = crate::diagnostic::line_col(&text, m.start());
                        (Location::new(&node.path, line, col), text)
                    }
                    None => (Location::file(&node.path), text),
                }
            }
            _ => (Location::file(""), String::new()),
        };
        Diagnostic::error(
            Code::Cycle,
            location.0,
            format!(
                "found a cycle: {} (each depends on the next)",
                names.join(" --> ")
            ),
        )
        .with_source(&location.1)
        .with_hint("a model cannot depend on itself, directly or through others; remove one ref()")
    }

    /// All nodes in dependency order; ties keep the project's file order, and a test comes
    /// as soon as what it tests is built.
    pub fn order(&self, project: &Project) -> Vec<String> {
        let rank = |i: NodeIndex| -> (usize, usize) {
            let id = &self.graph[i];
            match project.nodes.get(id) {
                Some(n) if n.kind.is_test() => (0, 0),
                _ => (1, project.nodes.get_index_of(id).map_or(0, |p| p + 1)),
            }
        };
        let mut indegree: HashMap<NodeIndex, usize> = self
            .graph
            .node_indices()
            .map(|i| {
                (
                    i,
                    self.graph
                        .neighbors_directed(i, Direction::Incoming)
                        .count(),
                )
            })
            .collect();
        let mut ready: BinaryHeap<Reverse<((usize, usize), NodeIndex)>> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(i, _)| Reverse((rank(*i), *i)))
            .collect();
        let mut out = Vec::new();
        while let Some(Reverse((_, i))) = ready.pop() {
            out.push(self.graph[i].clone());
            for n in self.graph.neighbors_directed(i, Direction::Outgoing) {
                if let Some(d) = indegree.get_mut(&n) {
                    *d -= 1;
                    if *d == 0 {
                        ready.push(Reverse((rank(n), n)));
                    }
                }
            }
        }
        out
    }

    fn walk(&self, id: &str, dir: Direction, depth: Option<usize>) -> Vec<String> {
        let Some(&start) = self.index.get(id) else {
            return Vec::new();
        };
        let mut seen = HashSet::from([start]);
        let mut frontier = vec![start];
        let mut out = Vec::new();
        let mut level = 0;
        while !frontier.is_empty() && depth.is_none_or(|d| level < d) {
            let mut next = Vec::new();
            for i in frontier {
                for n in self.graph.neighbors_directed(i, dir) {
                    if seen.insert(n) {
                        out.push(self.graph[n].clone());
                        next.push(n);
                    }
                }
            }
            frontier = next;
            level += 1;
        }
        out
    }

    pub fn ancestors(&self, id: &str, depth: Option<usize>) -> Vec<String> {
        self.walk(id, Direction::Incoming, depth)
    }

    pub fn descendants(&self, id: &str, depth: Option<usize>) -> Vec<String> {
        self.walk(id, Direction::Outgoing, depth)
    }

    pub fn parents(&self, id: &str) -> Vec<String> {
        self.ancestors(id, Some(1))
    }
}
/// A walk of the DAG in order that remembers what failed, so that what sits downstream of a
/// failure is skipped instead of run or checked: one rule for `check`, `run` and `build`.
#[derive(Debug, Default)]
pub struct FailureWalk {
    failed: HashSet<String>,
    /// Nodes with a failing test: under dbt build, what is built from them is skipped, but
    /// their other tests still run.
    failed_tests_on: HashSet<String>,
    /// Nodes a failed unit test stops, with that test.
    stopped: HashMap<String, String>,
}

impl FailureWalk {
    /// The parent whose failure stops `id` (a test is only stopped by its node's own
    /// failure, not by another test's), or the unit test that stopped it.
    pub fn blocked_by(&self, dag: &Dag, id: &str, is_test: bool) -> Option<String> {
        if let Some(by) = self.stopped.get(id) {
            return Some(by.clone());
        }
        dag.parents(id)
            .into_iter()
            .find(|p| self.failed.contains(p) || (!is_test && self.failed_tests_on.contains(p)))
    }

    /// `id` is not to run because `by` (its unit test) failed.
    pub fn stop(&mut self, id: &str, by: &str) {
        self.stopped
            .entry(id.to_string())
            .or_insert_with(|| by.to_string());
    }

    /// `id` failed (or was skipped): its descendants are stopped.
    pub fn fail(&mut self, id: &str) {
        self.failed.insert(id.to_string());
    }

    /// Whether `id` failed or was skipped.
    pub fn has_failed(&self, id: &str) -> bool {
        self.failed.contains(id)
    }

    /// A test of `id` failed: what is built from the tested nodes is stopped.
    pub fn fail_test(&mut self, dag: &Dag, id: &str) {
        self.failed_tests_on.extend(dag.parents(id));
    }
}
