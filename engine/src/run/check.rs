//! `modelplay check`: every node planned in DAG order against the schemas of its inputs,
//! without running anything. Sources take their columns from the sample files (or YAML),
//! models from their own plans. Problems are reported at the user's line and column:
//! unknown or ambiguous columns and tables, union branches that do not line up, type
//! errors, functions Redshift does not have, YAML tests and dist/sort keys naming columns
//! the model does not output. A broken model does not stop the others; its descendants are
//! reported once, as not checked. The plans also give every column's lineage.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::{Arc, RwLock};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{Expr, ObjectNamePart, Query, Visit, Visitor};
use serde::Serialize;

use super::Engine;
use super::check_cache::{NodeCheck, register_planned};
use super::compile::{CompileResolver, Schemas};
use super::execute::{self, Origin};
use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::lineage::{EdgeKind, column_lineage};
use crate::project::resolved::HardDeletes;
use crate::project::{Node, NodeKind};
use crate::redshift::catalog::{
    closest_redshift_function, is_redshift_function, redshift_alternative,
};
use crate::redshift::types::redshift_type;
use crate::relation::Relation;

/// One upstream column of a model column, by node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LineageEdge {
    /// The unique id of the model, seed, snapshot or source read.
    pub node: String,
    pub column: String,
    pub kind: EdgeKind,
    pub expressions: Vec<String>,
}

/// What a check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub diagnostics: Vec<Diagnostic>,
    /// Output columns of every node that planned, with Redshift types.
    pub columns: BTreeMap<String, Vec<(String, String)>>,
    /// Column lineage: node → column → upstream columns.
    pub lineage: BTreeMap<String, BTreeMap<String, Vec<LineageEdge>>>,
    /// Nodes with errors, and each one's first error.
    #[serde(skip)]
    pub failed: HashMap<String, Diagnostic>,
    /// Nodes not checked because something upstream failed.
    pub not_checked: BTreeSet<String>,
    /// The planned schema of every relation that planned, for compiling against what the
    /// check found (`adapter.get_columns_in_relation`, `dbt_utils.star`) without a build.
    #[serde(skip)]
    pub schemas: Schemas,
    /// The session the check planned in (seeds with their rows, other tables empty), for
    /// compiling templates that run queries as the check compiled them.
    #[serde(skip)]
    pub session: CheckSession,
    /// How many nodes were planned; the others were replayed from the last check, which
    /// found them as they are.
    #[serde(skip)]
    pub planned: usize,
}

/// A check's DataFusion session, kept with its report.
#[derive(Clone, Default)]
pub struct CheckSession(pub Option<SessionContext>);

impl std::fmt::Debug for CheckSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckSession")
    }
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

/// Function calls in a query, with their name's position.
struct Calls(Vec<(String, usize, usize)>);

impl Visitor for Calls {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = e
            && let [ObjectNamePart::Identifier(id)] = f.name.0.as_slice()
        {
            let at = id.span.start;
            self.0.push((
                id.value.to_lowercase(),
                at.line as usize,
                at.column as usize,
            ));
        }
        ControlFlow::Continue(())
    }
}

/// The meta columns a snapshot adds (none for a snapshot whose config could not be read).
fn meta_columns(node: &Node) -> Vec<Field> {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, None);
    let Some(snapshot) = node.materialization.snapshot() else {
        return Vec::new();
    };
    let names = &snapshot.names;
    let mut fields = vec![
        Field::new(&names.scd_id, DataType::Utf8, true),
        Field::new(&names.updated_at, ts.clone(), true),
        Field::new(&names.valid_from, ts.clone(), true),
        Field::new(&names.valid_to, ts, true),
    ];
    if snapshot.hard_deletes == HardDeletes::NewRecord {
        fields.push(Field::new(&names.is_deleted, DataType::Utf8, true));
    }
    fields
}

impl Engine {
    /// Plans every node without running anything.
    pub async fn check(&self) -> CheckReport {
        let ctx = super::session(
            &self.loaded.project.target,
            self.run_time,
            self.memory.clone(),
        );
        let schemas: Schemas = Arc::new(RwLock::new(HashMap::new()));
        let resolver = Arc::new(
            CompileResolver::new(&self.loaded.project, schemas.clone())
                .with_session(ctx.clone())
                .with_selection(self.selected.clone()),
        );
        let mut report = CheckReport::default();
        let register = |relation: &Relation, schema: SchemaRef| {
            let empty = vec![RecordBatch::new_empty(schema.clone())];
            super::register_table(&ctx, &schemas, relation, schema, empty)
        };
        let mut by_relation: HashMap<String, String> = HashMap::new();
        for source in self.loaded.project.sources.values() {
            let schema = self.source_schema(source);
            let _ = register(&source.relation, schema.clone());
            by_relation.insert(relation_key(&source.relation), source.unique_id.clone());
            report
                .columns
                .insert(source.unique_id.clone(), typed(&schema));
        }
        for node in self.loaded.project.nodes.values() {
            if !node.kind.is_test() {
                by_relation.insert(relation_key(&node.relation), node.unique_id.clone());
                if node.materialization.is_ephemeral() {
                    by_relation
                        .insert(format!("__dbt__cte__{}", node.name), node.unique_id.clone());
                }
            }
        }
        let extra_functions: Vec<String> = self
            .loaded
            .project
            .vars
            .get("modelplay_extra_functions")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_lowercase))
                    .collect()
            })
            .unwrap_or_default();

        let mut walk = crate::dag::FailureWalk::default();
        // Only a template that names `selected_resources` compiles differently under another
        // selection; the files are read for it only when the selection is another.
        let reads_selection = || {
            self.loaded.project.files.iter().any(|(path, bytes)| {
                (path.ends_with(".sql") || path.ends_with(".yml") || path.ends_with(".yaml"))
                    && bytes
                        .windows(b"selected_resources".len())
                        .any(|w| w == b"selected_resources")
            })
        };
        let mut kept = self.check_cache.take(&self.selected, reads_selection);
        // Nodes planned in this check whose columns or failure are not what they were.
        let mut changed: HashSet<String> = HashSet::new();
        for id in self.dag.order(&self.loaded.project) {
            let Some(node) = self.loaded.project.nodes.get(&id).cloned() else {
                continue;
            };
            if walk
                .blocked_by(&self.dag, &id, node.kind.is_test())
                .is_some()
            {
                report.not_checked.insert(id.clone());
                walk.fail(&id);
                // Planned afresh once what blocks it is fixed.
                kept.nodes.remove(&id);
                continue;
            }
            // A node not edited since the last check, none of whose parents changed in this
            // one, is not planned again: what that check found of it is replayed.
            let parents_as_before = || self.dag.parents(&id).iter().all(|p| !changed.contains(p));
            if let Some(before) = kept.nodes.get(&id)
                && !kept.edited.contains(&id)
                && parents_as_before()
            {
                before.replay(&node, &ctx, &schemas, &mut report, &mut walk);
                continue;
            }
            report.planned += 1;
            let before = report.diagnostics.len();
            let mut planned: Option<SchemaRef> = None;
            let mut seed_rows: Option<RecordBatch> = None;
            'node: {
                // A config dbt would reject is reported here; the SQL is still planned, so that
                // its own problems and its descendants' are found in the same pass.
                report
                    .diagnostics
                    .extend(node.materialization.problems().iter().cloned());
                let outcome = match node.kind {
                    _ if node.parse_error.is_some() => {
                        Err(node.parse_error.iter().cloned().collect())
                    }
                    // A seed's rows are at hand: they are registered whole.
                    NodeKind::Seed => match self.read_seed(&node) {
                        Ok((batch, _)) => {
                            let schema = batch.schema();
                            seed_rows = Some(batch);
                            Ok((schema, None))
                        }
                        Err(d) => Err(vec![d]),
                    },
                    NodeKind::Model | NodeKind::Snapshot => self
                        .check_model(&node, &ctx, resolver.clone(), &extra_functions)
                        .await
                        .map(|(s, l, problems)| {
                            report.diagnostics.extend(problems);
                            (s, Some(l))
                        }),
                    NodeKind::Test => {
                        let r = self
                            .check_test(&node, &ctx, resolver.clone(), &report)
                            .await;
                        match r {
                            Ok(()) => break 'node,
                            Err(d) => Err(vec![d]),
                        }
                    }
                    // Planned against fixtures typed by what the check found so far: its
                    // inputs, and the model it tests, come before it.
                    NodeKind::UnitTest => match self.plan_unit_test(&node, &schemas).await {
                        Ok(_) => break 'node,
                        Err(d) => Err(vec![d]),
                    },
                    NodeKind::Source => break 'node,
                };
                match outcome {
                    Ok((schema, lineage)) => {
                        planned = Some(schema.clone());
                        register_planned(&node, &schema, seed_rows.as_ref(), &ctx, &schemas);
                        let columns = typed(&schema);
                        let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
                        if node
                            .materialization
                            .incremental()
                            .is_some_and(|i| i.microbatch.is_some())
                            && node
                                .depends_on
                                .iter()
                                .any(|d| self.loaded.project.sources.contains_key(d))
                        {
                            let at = node
                                .config
                                .at("incremental_strategy")
                                .cloned()
                                .unwrap_or_else(|| Location::file(&node.path));
                            let text = self.loaded.project.files.text(&at.file).unwrap_or_default();
                            report.diagnostics.push(
                            Diagnostic::warning(
                                Code::Unsupported,
                                at,
                                format!(
                                    "`{}` reads a source: modelplay reads a source whole in every batch, where dbt cuts one that declares an `event_time` to the batch's window",
                                    node.name
                                ),
                            )
                            .with_source(&text)
                            .with_hint("read the source through a staging model with `event_time` in its config"),
                        );
                        }
                        if node.materialization.contract_enforced() {
                            let files = &self.loaded.project.files;
                            let problems = super::contract::check(&node, &columns, &|f| {
                                files.text(f).unwrap_or_default()
                            });
                            if let Some(first) = problems
                                .iter()
                                .find(|d| d.severity == crate::diagnostic::Severity::Error)
                            {
                                walk.fail(&id);
                                report.failed.insert(id.clone(), first.clone());
                            }
                            report.diagnostics.extend(problems);
                            report
                                .diagnostics
                                .extend(super::contract::constraint_warnings(&node, &|f| {
                                    files.text(f).unwrap_or_default()
                                }));
                        }
                        if let Some(keys) = node.materialization.table_keys()
                            && node.kind != NodeKind::Seed
                        {
                            let monotonic = |c: &str| {
                                columns.iter().any(|(n, t)| {
                                    n == c && (t.starts_with("timestamp") || t == "date")
                                })
                            };
                            // Key mistakes break the deploy, not the local build: reported only.
                            report
                                .diagnostics
                                .extend(crate::export::validate::check_keys(
                                    &self.loaded.project,
                                    &node,
                                    keys,
                                    &names,
                                    &monotonic,
                                ));
                        }
                        report.columns.insert(id.clone(), columns);
                        if let Some(lineage) = lineage {
                            let mapped = lineage
                                .into_iter()
                                .map(|(col, edges)| {
                                    let edges = edges
                                        .into_iter()
                                        .filter_map(|e| {
                                            let node =
                                                by_relation.get(&normalize(&e.relation))?.clone();
                                            Some(LineageEdge {
                                                node,
                                                column: e.column,
                                                kind: e.kind,
                                                expressions: e.expressions,
                                            })
                                        })
                                        .collect();
                                    (col, edges)
                                })
                                .collect();
                            report.lineage.insert(id.clone(), mapped);
                        }
                    }
                    Err(diags) => {
                        walk.fail(&id);
                        // Only errors fail the node in the build that follows.
                        if let Some(first) = diags.iter().find(|d| d.severity == Severity::Error) {
                            report.failed.insert(id.clone(), first.clone());
                        }
                        report.diagnostics.extend(diags);
                    }
                }
            }
            let found = NodeCheck {
                diagnostics: report.diagnostics[before..].to_vec(),
                planned,
                seed_rows,
                columns: report.columns.get(&id).cloned(),
                lineage: report.lineage.get(&id).cloned(),
                failed: report.failed.get(&id).cloned(),
                stops_descendants: walk.has_failed(&id),
            };
            // An ephemeral model is inlined into its descendants: any edit of it changes them.
            let same = !node.materialization.is_ephemeral()
                && kept
                    .nodes
                    .get(&id)
                    .is_some_and(|b| b.same_for_descendants(&found));
            if !same {
                changed.insert(id.clone());
            }
            kept.nodes.insert(id.clone(), found);
        }
        self.check_cache.keep(kept);
        // Each broken node's descendants, once.
        let mut failed: Vec<&String> = report.failed.keys().collect();
        failed.sort();
        let mut said: BTreeSet<String> = BTreeSet::new();
        let mut notes = Vec::new();
        for id in failed {
            let below: Vec<String> = self
                .dag
                .descendants(id, None)
                .into_iter()
                .filter(|d| report.not_checked.contains(d) && said.insert(d.clone()))
                .filter_map(|d| self.loaded.project.nodes.get(&d).map(|n| n.name.clone()))
                .collect();
            if let (false, Some(node)) = (below.is_empty(), self.loaded.project.nodes.get(id)) {
                notes.push(Diagnostic::warning(
                    Code::Upstream,
                    Location::file(&node.path),
                    format!(
                        "not checked because `{}` has errors: {}",
                        node.name,
                        named_briefly(&below)
                    ),
                ));
            }
        }
        report.diagnostics.extend(notes);
        report.schemas = schemas;
        report.session = CheckSession(Some(ctx));
        report
    }

    async fn check_model(
        &self,
        node: &Node,
        ctx: &SessionContext,
        resolver: Arc<CompileResolver>,
        extra_functions: &[String],
    ) -> Result<
        (
            SchemaRef,
            BTreeMap<String, Vec<crate::lineage::Edge>>,
            Vec<Diagnostic>,
        ),
        Vec<Diagnostic>,
    > {
        let compiled = self
            .compile_with(node, resolver.clone(), false)
            .map_err(|d| vec![d])?;
        let file_text = self
            .loaded
            .project
            .files
            .text(&node.path)
            .unwrap_or_default();
        let origin = Origin {
            file: &node.path,
            file_text: &file_text,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        // SQL made from queries over tables that are empty until the build may well parse
        // and plan once they hold rows: what fails here is a warning, and the build tries.
        let queried = compiled.queried;
        let before_the_build = |d: Diagnostic| {
            if !queried {
                return d;
            }
            Diagnostic {
                severity: Severity::Warning,
                message: format!(
                    "{} (checked before the build, where the tables its template queries are still empty)",
                    d.message
                ),
                ..d
            }
        };
        let (query, _) = self
            .query_with_ephemerals_using(&compiled, &origin, resolver)
            .map_err(|d| vec![before_the_build(d)])?;
        let mut problems = redshift_functions(&query, &origin, extra_functions);
        let planned = match execute::plan(ctx, query, &origin).await {
            Ok(plan) => execute::physical_check(ctx, &plan, &origin)
                .await
                .map(|schema| (plan, schema)),
            Err(d) => Err(d),
        };
        match planned {
            Ok((plan, schema)) => {
                let lineage = column_lineage(&plan);
                let mut fields: Vec<Field> = schema
                    .fields()
                    .iter()
                    .map(|f| Field::new(f.name().to_lowercase(), f.data_type().clone(), true))
                    .collect();
                if node.kind == NodeKind::Snapshot {
                    fields.extend(meta_columns(node));
                }
                // A function Redshift lacks is reported, but DataFusion can still run it, so
                // the model's descendants are checked and built as usual.
                Ok((Arc::new(Schema::new(fields)), lineage, problems))
            }
            Err(d) => {
                // A function Redshift lacks that modelplay cannot run either is said once,
                // as Redshift's error, at the call.
                let said = d.message.starts_with("modelplay has no function ")
                    && problems.iter().any(|p| p.code == Code::Unsupported);
                if !said {
                    problems.push(before_the_build(d));
                }
                Err(problems)
            }
        }
    }

    async fn check_test(
        &self,
        node: &Node,
        ctx: &SessionContext,
        resolver: Arc<CompileResolver>,
        report: &CheckReport,
    ) -> Result<(), Diagnostic> {
        let text = self
            .loaded
            .project
            .files
            .text(&node.path)
            .unwrap_or_default();
        if let Some(test) = &node.generic_test
            && let Some(column) = &test.column_name
            && let Some(columns) = report.columns.get(&test.attached_to)
        {
            let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
            let wanted = column.trim_matches('"').to_lowercase();
            let is_expression = !wanted.chars().all(|c| c.is_alphanumeric() || c == '_');
            if !is_expression && !names.contains(&wanted) {
                let target = self
                    .loaded
                    .project
                    .nodes
                    .get(&test.attached_to)
                    .map(|n| n.name.clone())
                    .or_else(|| {
                        self.loaded
                            .project
                            .sources
                            .get(&test.attached_to)
                            .map(|s| s.name.clone())
                    })
                    .unwrap_or_default();
                let mut d = Diagnostic::error(
                    Code::Test,
                    node.location.clone(),
                    format!(
                        "test `{}` names column `{column}`, which `{target}` does not output",
                        test.test_name
                    ),
                )
                .with_source(&text);
                if let Some(best) = crate::project::load::suggest(&wanted, names.iter()) {
                    d = d.with_hint(format!("did you mean `{best}`?"));
                }
                return Err(d);
            }
        }
        let compiled = self.compile_with(node, resolver.clone(), false)?;
        let origin = Origin {
            file: &node.path,
            file_text: &text,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let relocate = |d: Diagnostic| match &node.generic_test {
            Some(test) => Diagnostic::error(
                Code::Test,
                node.location.clone(),
                format!("test `{}`: {}", test.test_name, d.message),
            )
            .with_source(&text),
            None => d,
        };
        let (query, _) = self
            .query_with_ephemerals_using(&compiled, &origin, resolver)
            .map_err(relocate)?;
        execute::plan(ctx, query, &origin)
            .await
            .map(|_| ())
            .map_err(relocate)
    }
}

/// Function calls Redshift would reject.
fn redshift_functions(query: &Query, origin: &Origin, extra: &[String]) -> Vec<Diagnostic> {
    let mut calls = Calls(Vec::new());
    let _ = query.visit(&mut calls);
    calls
        .0
        .into_iter()
        .filter(|(name, _, _)| !is_redshift_function(name) && !extra.contains(name))
        .map(|(name, line, column)| {
            let d = origin.error(
                Code::Unsupported,
                origin.locate(line, column),
                format!("Redshift has no function `{name}`"),
            );
            match (redshift_alternative(&name), closest_redshift_function(&name)) {
                (Some(alt), _) => d.with_hint(format!("in Redshift write {alt}")),
                (None, Some(best)) => d.with_hint(format!(
                    "did you mean `{best}`? (a user-defined function on your cluster goes in the modelplay_extra_functions var)"
                )),
                (None, None) => d.with_hint(
                    "if it is a user-defined function on your cluster, list it in the modelplay_extra_functions var",
                ),
            }
        })
        .collect()
}

fn typed(schema: &SchemaRef) -> Vec<(String, String)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), redshift_type(f.data_type())))
        .collect()
}

fn relation_key(r: &Relation) -> String {
    format!("{}.{}.{}", r.database, r.schema, r.identifier)
}

/// A table name as the plan prints it (`dev.schema.table`, quotes dropped).
fn normalize(name: &str) -> String {
    name.replace('"', "").to_lowercase()
}

/// Up to eight names, then how many more: a broken staging model can sit above a hundred nodes.
fn named_briefly(names: &[String]) -> String {
    const SHOWN: usize = 8;
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!(
        "{} and {} more",
        names[..SHOWN].join(", "),
        names.len() - SHOWN
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_list_of_names_is_cut_after_eight() {
        let names: Vec<String> = (1..=11).map(|i| format!("m{i}")).collect();
        assert_eq!(
            super::named_briefly(&names),
            "m1, m2, m3, m4, m5, m6, m7, m8 and 3 more"
        );
        assert_eq!(super::named_briefly(&names[..2]), "m1, m2");
    }
}
