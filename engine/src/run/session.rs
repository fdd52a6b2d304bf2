//! The DataFusion session a run or a check plans and executes in.

use super::*;

/// A DataFusion session set up as Redshift reads SQL: one partition (deterministic order),
/// the target's database and schema as defaults, identifiers normalised, spans kept for
/// error locations, the Redshift functions with `run_time` as `getdate()`, and window
/// functions over sorted partitions computed a batch at a time.
pub(crate) fn session(
    target: &crate::project::Target,
    run_time: NaiveDateTime,
    runtime: Option<Arc<datafusion::execution::runtime_env::RuntimeEnv>>,
) -> SessionContext {
    let mut config = SessionConfig::new()
        .with_target_partitions(1)
        .with_default_catalog_and_schema(target.database.clone(), target.schema.clone())
        .with_create_default_catalog_and_schema(true)
        .with_information_schema(false);
    config.options_mut().sql_parser.enable_ident_normalization = true;
    config.options_mut().sql_parser.collect_spans = true;
    let mut builder = datafusion::execution::session_state::SessionStateBuilder::new();
    if let Some(runtime) = runtime {
        // A sort sets aside this much to merge its spilled runs: DataFusion's 10 MB would
        // take all of a small limit before any sorting starts.
        if let datafusion::execution::memory_pool::MemoryLimit::Finite(bytes) =
            runtime.memory_pool.memory_limit()
        {
            let options = config.options_mut();
            options.execution.sort_spill_reservation_bytes = options
                .execution
                .sort_spill_reservation_bytes
                .min(bytes / 8);
        }
        builder = builder.with_runtime_env(runtime);
    }
    let state = builder
        .with_config(config)
        .with_default_features()
        .with_physical_optimizer_rule(Arc::new(super::sorted_window::SortedWindows))
        .build();
    let mut ctx = SessionContext::new_with_state(state);
    functions::register(&ctx, run_time);
    {
        use datafusion::execution::FunctionRegistry;
        // Planned before DataFusion's own operators, so its DECIMAL division never runs.
        let _ = ctx.register_expr_planner(Arc::new(crate::redshift::decimals::DecimalPlanner));
        let _ =
            ctx.register_expr_planner(Arc::new(crate::redshift::text_rules::TrailingBlanksPlanner));
    }
    ctx
}

/// The name DataFusion knows a relation's table by.
pub(crate) fn table_reference(relation: &Relation) -> TableReference {
    TableReference::full(
        relation.database.clone(),
        relation.schema.clone(),
        relation.identifier.clone(),
    )
}

/// Makes the catalog `database` and its schema `schema` if they are new.
pub(crate) fn ensure_schema(
    ctx: &SessionContext,
    database: &str,
    schema: &str,
) -> Result<(), String> {
    let catalog = match ctx.catalog(database) {
        Some(c) => c,
        None => {
            let c: Arc<dyn CatalogProvider> = Arc::new(MemoryCatalogProvider::new());
            ctx.register_catalog(database.to_string(), c.clone());
            c
        }
    };
    if catalog.schema(schema).is_none() {
        catalog
            .register_schema(schema, Arc::new(MemorySchemaProvider::new()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Registers `batches` as the table `relation` in `ctx` (creating its catalog and schema on
/// first use, replacing an earlier table) and records its schema for templates.
pub(crate) fn register_table(
    ctx: &SessionContext,
    schemas: &Schemas,
    relation: &Relation,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> Result<(), String> {
    ensure_schema(ctx, &relation.database, &relation.schema)?;
    let reference = table_reference(relation);
    let _ = ctx.deregister_table(reference.clone());
    let table = MemTable::try_new(schema.clone(), vec![batches]).map_err(|e| e.to_string())?;
    ctx.register_table(reference, Arc::new(table))
        .map_err(|e| e.to_string())?;
    schemas
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(relation.clone(), schema);
    Ok(())
}
