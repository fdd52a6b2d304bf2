//! Where sources come from: each source's sample loads, the run time, replay steps, and
//! source freshness.

use super::*;

impl Engine {
    /// The columns of a source before any of its files has landed: its first file's header
    /// if it has one, else the columns its YAML declares.
    pub fn source_schema(&self, source: &crate::project::SourceTable) -> SchemaRef {
        if let Some(schema) = self.released_schemas.get(&source.unique_id) {
            return schema.clone();
        }
        if source.loads.is_empty()
            && let Some(Ok((batch, _))) = self.seed_behind(source).map(|s| self.read_seed(s))
        {
            return batch.schema();
        }
        let declared: HashMap<String, DataType> = source
            .columns
            .iter()
            .filter_map(|c| {
                let t = typed::arrow_type(c.data_type.as_deref()?)?;
                Some((c.name.to_lowercase(), t))
            })
            .collect();
        let first = source.loads.first().and_then(|l| {
            let bytes = self.loaded.project.files.get(&l.path)?;
            if crate::data::parquet::is_parquet(&l.path) {
                let schema = crate::data::parquet::schema(&l.path, bytes).ok()?;
                Some(
                    schema
                        .fields()
                        .iter()
                        .map(|f| (f.name().clone(), f.data_type().clone()))
                        .collect::<Vec<_>>(),
                )
            } else {
                let headers = crate::data::csv::headers(bytes, b',');
                if headers.is_empty() {
                    return None;
                }
                Some(
                    crate::data::csv::normalized_headers(&headers)
                        .into_iter()
                        .map(|n| (n, DataType::Utf8))
                        .collect(),
                )
            }
        });
        let columns: Vec<(String, DataType)> = match &first {
            Some(columns) => columns.clone(),
            None => source
                .columns
                .iter()
                .map(|c| (c.name.to_lowercase(), DataType::Utf8))
                .collect(),
        };
        let mut fields: Vec<Field> = columns
            .into_iter()
            .map(|(n, file_type)| {
                let t = declared.get(&n).cloned().unwrap_or(file_type);
                Field::new(n, t, true)
            })
            .collect();
        let synced = source
            .loaded_at_field
            .clone()
            .unwrap_or_else(|| "_fivetran_synced".into());
        if first.is_some() && !fields.iter().any(|f| *f.name() == synced) {
            fields.push(Field::new(
                synced,
                DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
                true,
            ));
        }
        Arc::new(Schema::new(fields))
    }

    /// Loads each source's latest load, unless a replay step (or an earlier run) already
    /// loaded the sources.
    pub(super) fn ensure_sources(&mut self) -> Result<(), Vec<Diagnostic>> {
        if self.sources_loaded {
            return Ok(());
        }
        self.load_sources(None)
    }

    /// Every moment a source load landed, oldest first: the steps of a replay.
    pub fn load_times(&self) -> Vec<String> {
        let mut times: Vec<String> = self
            .loaded
            .project
            .sources
            .values()
            .flat_map(|s| s.loads.iter().map(|l| l.loaded_at.clone()))
            .collect();
        times.sort();
        times.dedup();
        times
    }

    /// Sets what `getdate()` and friends return from now on.
    pub fn set_run_time(&mut self, run_time: NaiveDateTime) {
        self.run_time = run_time;
        functions::register(&self.ctx, run_time);
    }

    /// The seed that builds the table `source` names, if one does.
    pub(crate) fn seed_behind(&self, source: &crate::project::SourceTable) -> Option<&Node> {
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        self.loaded.project.nodes.values().find(|n| {
            n.kind == NodeKind::Seed
                && same(&n.relation.database, &source.relation.database)
                && same(&n.relation.schema, &source.relation.schema)
                && same(&n.relation.identifier, &source.relation.identifier)
        })
    }

    /// Loads every source's sample data as it stood at `as_of` (`YYYY-MM-DD HH:MI:SS`): each
    /// source's latest load at or before then, or an empty table if it had none yet. `None`
    /// takes each source's latest load.
    pub fn load_sources(&mut self, as_of: Option<&str>) -> Result<(), Vec<Diagnostic>> {
        let mut todo = Vec::new();
        for source in self.loaded.project.sources.values() {
            let load = pick_load(source, as_of).map(|l| l.path.clone());
            if load.is_some() && self.source_loads.get(&source.unique_id) == load.as_ref() {
                continue;
            }
            todo.push((source.clone(), load));
        }
        let read = self.read_each(todo.iter().map(|(s, _)| s).collect(), as_of);
        let mut errors = Vec::new();
        for ((source, load), read) in todo.into_iter().zip(read) {
            self.source_loads.remove(&source.unique_id);
            match read {
                Ok((batch, warnings)) => {
                    self.warnings.extend(warnings);
                    match self.register(&source.relation, batch.schema(), vec![batch]) {
                        Ok(()) => {
                            if let Some(path) = load {
                                if self.releases_read_files {
                                    self.release_loads_up_to(&source, &path);
                                }
                                self.source_loads.insert(source.unique_id.clone(), path);
                            }
                        }
                        Err(e) => {
                            errors.push(Diagnostic::error(Code::Data, source.location.clone(), e))
                        }
                    }
                }
                Err(d) => errors.push(d),
            }
        }
        self.sources_loaded = true;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Lets go of the bytes of `source`'s loads up to `read`, the one just read, keeping the
    /// columns `source_schema` finds in them.
    fn release_loads_up_to(&mut self, source: &crate::project::SourceTable, read: &str) {
        if !self.released_schemas.contains_key(&source.unique_id) {
            let schema = self.source_schema(source);
            self.released_schemas
                .insert(source.unique_id.clone(), schema);
        }
        let Some(upto) = source.loads.iter().position(|l| l.path == read) else {
            return;
        };
        for load in source.loads.iter().take(upto + 1) {
            self.loaded.project.files.remove(&load.path);
        }
    }

    /// Reads each of `sources` (see `read_source`), in order. Natively they are read on as
    /// many threads as the machine has cores, since parsing the sample files is most of
    /// loading a large project; the browser's worker has one thread.
    fn read_each(
        &self,
        sources: Vec<&crate::project::SourceTable>,
        as_of: Option<&str>,
    ) -> Vec<Result<(RecordBatch, Vec<Diagnostic>), Diagnostic>> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            use std::sync::Mutex;
            use std::sync::atomic::{AtomicUsize, Ordering};
            let threads = std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get)
                .min(sources.len());
            if threads > 1 {
                let next = AtomicUsize::new(0);
                let slots: Vec<Mutex<Option<_>>> =
                    sources.iter().map(|_| Mutex::new(None)).collect();
                std::thread::scope(|scope| {
                    for _ in 0..threads {
                        scope.spawn(|| {
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let (Some(source), Some(slot)) = (sources.get(i), slots.get(i))
                                else {
                                    break;
                                };
                                let read = self.read_source(source, as_of);
                                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(read);
                            }
                        });
                    }
                });
                return slots
                    .into_iter()
                    .zip(&sources)
                    .map(|(slot, source)| {
                        slot.into_inner()
                            .unwrap_or_else(|e| e.into_inner())
                            .unwrap_or_else(|| {
                                Err(Diagnostic::error(
                                    Code::Data,
                                    source.location.clone(),
                                    "this source's sample data could not be read",
                                ))
                            })
                    })
                    .collect();
            }
        }
        sources
            .into_iter()
            .map(|s| self.read_source(s, as_of))
            .collect()
    }

    /// A source's rows as they stood at `as_of` (see `load_sources`), typed as the loader
    /// types them, with what reading them found odd; nothing is registered.
    pub fn read_source(
        &self,
        source: &crate::project::SourceTable,
        as_of: Option<&str>,
    ) -> Result<(RecordBatch, Vec<Diagnostic>), Diagnostic> {
        // dbt's "seed, then build": a source with no files of its own that names the table a
        // seed builds reads that seed.
        if source.loads.is_empty()
            && let Some(seed) = self.seed_behind(source)
        {
            return self.read_seed(seed);
        }
        let pick = pick_load(source, as_of);
        let declared: HashMap<String, DataType> = source
            .columns
            .iter()
            .filter_map(|c| {
                let t = c.data_type.as_deref().and_then(typed::arrow_type)?;
                Some((c.name.to_lowercase(), t))
            })
            .collect();
        match pick {
            Some(l) => {
                // Only a host that lets read files go and then steps back in time gets here.
                let Some(bytes) = self.loaded.project.files.get(&l.path) else {
                    return Err(Diagnostic::error(
                        Code::Data,
                        source.location.clone(),
                        format!(
                            "{} was already read and let go, so this run cannot read it again",
                            l.path
                        ),
                    )
                    .with_hint("run the loads in time order, or open the project again"));
                };
                let loaded_at = crate::redshift::functions::parse_timestamp(&l.loaded_at)
                    .map(|t| t.and_utc().timestamp_micros())
                    .unwrap_or(0);
                let synced = source
                    .loaded_at_field
                    .clone()
                    .unwrap_or_else(|| "_fivetran_synced".into());
                if crate::data::parquet::is_parquet(&l.path) {
                    crate::data::parquet::read(
                        &l.path,
                        bytes,
                        &|name| declared.get(name).cloned(),
                        Some((&synced, loaded_at)),
                    )
                    .map(|batch| (batch, Vec::new()))
                } else {
                    typed::read_csv(
                        &l.path,
                        bytes,
                        b',',
                        &|name| declared.get(name).cloned(),
                        false,
                        Some((&synced, loaded_at)),
                    )
                }
            }
            None if as_of.is_some() && !source.loads.is_empty() => Ok((
                RecordBatch::new_empty(self.source_schema(source)),
                Vec::new(),
            )),
            None => Ok((
                RecordBatch::new_empty(self.source_schema(source)),
                vec![
                    Diagnostic::warning(
                        Code::Data,
                        source.location.clone(),
                        format!(
                            "source {}.{} has no sample data; it reads as an empty table",
                            source.source_name, source.name
                        ),
                    )
                    .with_hint(format!(
                        "add data/{}/{}/<load date>.csv",
                        source.source_name, source.name
                    )),
                ],
            )),
        }
    }

    /// Moves the session to the moment a load landed: the run time becomes the load's
    /// timestamp and every source reads its latest load at or before it.
    pub fn step_to(&mut self, load_time: &str) -> Result<(), Vec<Diagnostic>> {
        if let Some(t) = functions::parse_timestamp(load_time) {
            self.set_run_time(t);
        }
        self.load_sources(Some(load_time))
    }

    /// `dbt source freshness` for the selected sources, at the current run time.
    pub async fn source_freshness(
        &mut self,
        select: &[String],
        exclude: &[String],
    ) -> Result<Vec<freshness::FreshnessResult>, Vec<Diagnostic>> {
        use freshness::{FreshnessResult, FreshnessStatus};
        self.ensure_sources()?;
        let chosen = selector::select(&self.loaded.project, &self.dag, select, exclude)
            .map_err(|m| vec![selector_error(m)])?;
        let snapshotted_at = format_timestamp(&self.run_time);
        let sources: Vec<_> = self
            .loaded
            .project
            .sources
            .values()
            .filter(|s| chosen.contains(&s.unique_id))
            .cloned()
            .collect();
        let mut out = Vec::new();
        for source in sources {
            let criteria = match freshness::criteria(&source.freshness) {
                Ok(Some(c)) => c,
                Ok(None) => continue,
                Err(m) => {
                    out.push(FreshnessResult {
                        unique_id: source.unique_id.clone(),
                        name: format!("{}.{}", source.source_name, source.name),
                        max_loaded_at: None,
                        snapshotted_at: snapshotted_at.clone(),
                        max_loaded_at_time_ago_in_s: None,
                        status: FreshnessStatus::RuntimeError,
                        criteria: Default::default(),
                        message: Some(format!("{}: {m}", source.location)),
                    });
                    continue;
                }
            };
            let Some(field) = source.loaded_at_field.clone() else {
                continue;
            };
            let filter = criteria
                .filter
                .as_ref()
                .map(|f| format!(" where {f}"))
                .unwrap_or_default();
            let sql = format!(
                "select max({field}) as max_loaded_at from {}{filter}",
                source.relation
            );
            let (max_loaded_at, message) = match self.query(&sql).await {
                Ok(batches) => {
                    let value = batches
                        .first()
                        .filter(|b| b.num_rows() > 0)
                        .map(|b| tables::display_value(b.column(0), 0))
                        .filter(|v| !v.is_empty());
                    match value {
                        Some(v) => (Some(v), None),
                        None => (None, Some("the source has no rows yet".to_string())),
                    }
                }
                Err(d) => (None, Some(d.message)),
            };
            let age = max_loaded_at
                .as_deref()
                .and_then(functions::parse_timestamp)
                .map(|t| (self.run_time - t).num_milliseconds() as f64 / 1000.0);
            let status = match age {
                Some(a) => freshness::status(&criteria, a),
                None => FreshnessStatus::RuntimeError,
            };
            out.push(FreshnessResult {
                unique_id: source.unique_id.clone(),
                name: format!("{}.{}", source.source_name, source.name),
                max_loaded_at,
                snapshotted_at: snapshotted_at.clone(),
                max_loaded_at_time_ago_in_s: age,
                status,
                criteria,
                message,
            });
        }
        Ok(out)
    }
}

/// The load a source reads at `as_of`: its latest at or before then (`None`: its latest).
fn pick_load<'a>(
    source: &'a crate::project::SourceTable,
    as_of: Option<&str>,
) -> Option<&'a crate::project::SourceLoad> {
    match as_of {
        Some(t) => source
            .loads
            .iter()
            .rev()
            .find(|l| l.loaded_at.as_str() <= t),
        None => source.loads.last(),
    }
}
