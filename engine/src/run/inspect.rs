//! Reading what a run built: ad-hoc queries, relation rows and schemas, compiled SQL.

use super::*;

impl Engine {
    /// Runs one SELECT written in Redshift SQL against what has been built (dbt's
    /// `show --inline`). Errors point into the query text, named `<query>`.
    pub async fn query(&mut self, sql: &str) -> Result<Vec<RecordBatch>, Diagnostic> {
        if !self.sources_loaded {
            self.load_sources(None).map_err(|mut d| d.remove(0))?;
        }
        let compiled = Compiled {
            rendered: crate::jinja::Rendered {
                sql: sql.to_string(),
                map: crate::jinja::SourceMap::default(),
            },
            template_source: sql.to_string(),
            ephemerals: Vec::new(),
            logs: Vec::new(),
            queried: false,
        };
        let origin = Origin {
            file: "<query>",
            file_text: sql,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let query = execute::parse_query(sql, &origin)?;
        let plan = execute::plan(&self.ctx, query, &origin).await?;
        execute::collect(&self.ctx, plan, &origin).await
    }

    /// The logical plan of a node's compiled SQL against what is built, for tools that read
    /// a model's shape (the advisor's row estimates).
    pub async fn node_plan(
        &self,
        unique_id: &str,
    ) -> Result<datafusion::logical_expr::LogicalPlan, Diagnostic> {
        let sql = self.compile_sql(unique_id, false)?;
        let compiled = Compiled {
            rendered: crate::jinja::Rendered {
                sql: sql.clone(),
                map: crate::jinja::SourceMap::default(),
            },
            template_source: sql.clone(),
            ephemerals: Vec::new(),
            logs: Vec::new(),
            queried: false,
        };
        let origin = Origin {
            file: "<query>",
            file_text: &sql,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        let query = execute::parse_query(&sql, &origin)?;
        execute::plan(&self.ctx, query, &origin).await
    }

    /// Builds the whole project for tools that inspect the result (export, advise): the
    /// nodes that failed, as diagnostics, if any did (tests may fail; they do not count).
    pub async fn build_for_inspection(&mut self) -> Result<(), Vec<Diagnostic>> {
        let built = self.run(&RunRequest::new(Verb::Build), &mut |_| {}).await?;
        let nodes = &self.loaded.project.nodes;
        let broken: Vec<Diagnostic> = built
            .results
            .iter()
            .filter(|r| r.status == Status::Error && !r.kind.is_test())
            .map(|r| {
                r.diagnostic.clone().unwrap_or_else(|| {
                    let at = nodes
                        .get(&r.unique_id)
                        .map_or_else(|| Location::file(&r.name), |n| n.location.clone());
                    Diagnostic::error(Code::Runtime, at, r.message.clone().unwrap_or_default())
                })
            })
            .collect();
        if broken.is_empty() {
            Ok(())
        } else {
            Err(broken)
        }
    }

    /// The columns of a built relation.
    pub fn relation_schema(&self, relation: &Relation) -> Option<SchemaRef> {
        self.schemas
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(relation)
            .cloned()
    }

    /// Every row of a built relation.
    pub async fn relation_rows(&self, relation: &Relation) -> Result<Vec<RecordBatch>, String> {
        let df = self
            .ctx
            .sql(&format!("select * from {relation}"))
            .await
            .map_err(|e| e.to_string())?;
        df.collect().await.map_err(|e| e.to_string())
    }

    /// A built table's batches as the session holds them, without running a query: for
    /// what keeps a build's tables (a comparison's earlier side).
    pub async fn table_batches(
        &self,
        relation: &Relation,
    ) -> Option<(SchemaRef, Vec<RecordBatch>)> {
        let provider = self
            .ctx
            .table_provider(table_reference(relation))
            .await
            .ok()?;
        let table = provider.downcast_ref::<datafusion::datasource::MemTable>()?;
        let mut batches = Vec::new();
        for partition in &table.batches {
            batches.extend(partition.read().await.iter().cloned());
        }
        Some((provider.schema(), batches))
    }

    /// A built relation as a frame to query.
    async fn relation_frame(
        &self,
        relation: &Relation,
    ) -> Result<datafusion::dataframe::DataFrame, String> {
        self.ctx
            .table(table_reference(relation))
            .await
            .map_err(|e| e.to_string())
    }

    /// How many rows a built relation holds.
    pub async fn relation_rows_count(&self, relation: &Relation) -> Result<usize, String> {
        let df = self.relation_frame(relation).await?;
        df.count().await.map_err(|e| e.to_string())
    }

    /// A node's SQL as it compiles now (ephemeral models injected), optionally as an
    /// incremental run (`is_incremental()` true) would compile it.
    pub fn compile_sql(&self, unique_id: &str, is_incremental: bool) -> Result<String, Diagnostic> {
        self.compile_sql_using(unique_id, is_incremental, self.resolver())
    }

    /// A node's SQL as it compiles against the schemas a check planned (`report`), for
    /// tools that read a project without building it.
    pub fn compile_sql_checked(
        &self,
        unique_id: &str,
        is_incremental: bool,
        report: &CheckReport,
    ) -> Result<String, Diagnostic> {
        self.compile_sql_checked_in_batch(unique_id, is_incremental, report, None)
    }

    /// `compile_sql_checked` for one batch of a microbatch model: what it reads is cut to
    /// the batch's window.
    pub fn compile_sql_checked_in_batch(
        &self,
        unique_id: &str,
        is_incremental: bool,
        report: &CheckReport,
        batch: Option<&crate::project::microbatch::Batch>,
    ) -> Result<String, Diagnostic> {
        let mut resolver = CompileResolver::new(&self.loaded.project, report.schemas.clone());
        if let Some(session) = &report.session.0 {
            resolver = resolver.with_session(session.clone());
        }
        if let Some(b) = batch {
            resolver = resolver.with_batch(&self.loaded.project, b);
        }
        self.compile_sql_using(unique_id, is_incremental, Arc::new(resolver))
    }

    fn compile_sql_using(
        &self,
        unique_id: &str,
        is_incremental: bool,
        resolver: Arc<CompileResolver>,
    ) -> Result<String, Diagnostic> {
        let node = self
            .loaded
            .project
            .nodes
            .get(unique_id)
            .cloned()
            .ok_or_else(|| selector_error(format!("no node {unique_id}")))?;
        let compiled = self.compile_with(&node, resolver.clone(), is_incremental)?;
        let file_text = self.file_text(&node.path);
        let origin = Origin {
            file: &node.path,
            file_text: &file_text,
            compiled: &compiled,
            templates: &self.loaded.templates,
        };
        Ok(self
            .query_with_ephemerals_using(&compiled, &origin, resolver)?
            .1)
    }

    /// A seed's rows as its file holds them, typed as dbt types them; nothing is built.
    pub fn seed_rows(&self, node: &Node) -> Result<RecordBatch, Diagnostic> {
        self.read_seed(node).map(|(batch, _)| batch)
    }

    /// Rows of a built relation (after a run), at most `limit`.
    pub async fn preview(
        &self,
        relation: &Relation,
        limit: usize,
    ) -> Result<Vec<RecordBatch>, String> {
        let df = self
            .ctx
            .sql(&format!("select * from {relation} limit {limit}"))
            .await
            .map_err(|e| e.to_string())?;
        df.collect().await.map_err(|e| e.to_string())
    }

    /// Rows of a built relation ordered by one of its columns as Redshift orders them
    /// (NULLs last ascending, first descending), at most `limit`: the order is the whole
    /// relation's, not that of the rows a preview holds.
    pub async fn preview_sorted(
        &self,
        relation: &Relation,
        column: &str,
        ascending: bool,
        limit: usize,
    ) -> Result<Vec<RecordBatch>, String> {
        let df = self.relation_frame(relation).await?;
        if df.schema().field_with_unqualified_name(column).is_err() {
            return Err(format!("`{relation}` has no column `{column}`"));
        }
        let key = datafusion::prelude::ident(column).sort(ascending, !ascending);
        df.sort(vec![key])
            .and_then(|df| df.limit(0, Some(limit)))
            .map_err(|e| e.to_string())?
            .collect()
            .await
            .map_err(|e| e.to_string())
    }

    /// Every value of one column of a built relation, for a profile of the whole of it.
    pub async fn column_values(
        &self,
        relation: &Relation,
        column: &str,
    ) -> Result<Vec<RecordBatch>, String> {
        let df = self.relation_frame(relation).await?;
        df.select(vec![datafusion::prelude::ident(column)])
            .map_err(|e| e.to_string())?
            .collect()
            .await
            .map_err(|e| e.to_string())
    }
}
