//! A data file the user brings, cut down to the rows they keep while it is read, and placed
//! where the project reads it: a source's load or a seed.

use modelplay_engine::data::intake::{Keep, take_csv, take_parquet};
use parquet::file::reader::ChunkReader;

use modelplay_protocol::data_target::{DataFormat, SEEDS_ARE_CSV};
use modelplay_protocol::{AddData, Body, KeepRows, Response};

/// How often (in fractions of the file) progress is posted.
const PROGRESS_STEP: f64 = 0.02;

/// The file's format, or why `spec` cannot be served: the file must be CSV or Parquet, and
/// land as a source load of the same format or as a CSV seed.
fn accepted(spec: &AddData) -> Result<DataFormat, String> {
    let format = DataFormat::required(&spec.name)
        .map_err(|why| format!("{why}; the playground loads those two"))?;
    if let Err(e) = modelplay_protocol::paths::valid_new_path(&spec.target) {
        return Err(format!("cannot write `{}`: {e}", spec.target));
    }
    if spec.target.starts_with("seeds/") {
        return match format {
            DataFormat::Csv => Ok(format),
            DataFormat::Parquet => Err(SEEDS_ARE_CSV.into()),
        };
    }
    match modelplay_engine::data::loads::parse_load_path(&spec.target) {
        Some(Ok(_)) if DataFormat::of(&spec.target) == Some(format) => Ok(format),
        Some(Ok(_)) => Err(format!(
            "`{}` must keep the file's own extension",
            spec.target
        )),
        Some(Err(d)) => Err(d.message),
        None => Err(format!(
            "`{}` is neither a seed nor a source load (data/<source>/<table>/<load date>.csv)",
            spec.target
        )),
    }
}

fn keep(rows: KeepRows) -> Keep {
    match rows {
        KeepRows::All => Keep::All,
        KeepRows::First(n) => Keep::First(n),
        KeepRows::Random { rows, seed } => Keep::Random { rows, seed },
    }
}

/// Reads `file` as `spec` says, posting progress, and answers with the kept rows.
pub fn add_data<F: ChunkReader + 'static>(
    spec: &AddData,
    file: F,
    post: &mut dyn FnMut(Response),
) -> Response {
    let format = match accepted(spec) {
        Ok(f) => f,
        Err(why) => return super::failed("add the data", why),
    };
    let mut last = 0.0;
    let name = spec.name.clone();
    let mut report = |fraction: f64| {
        if fraction - last >= PROGRESS_STEP || fraction >= 1.0 {
            last = fraction;
            post(Response::AddingData {
                name: name.clone(),
                fraction: fraction.min(1.0),
            });
        }
    };
    let taken = match format {
        DataFormat::Csv => {
            let size = file.len().max(1) as f64;
            match file.get_read(0) {
                Ok(reader) => take_csv(reader, keep(spec.keep), &mut |read| {
                    report(read as f64 / size)
                }),
                Err(e) => Err(format!("could not read the file: {e}")),
            }
        }
        DataFormat::Parquet => take_parquet(file, keep(spec.keep), &mut report),
    };
    match taken {
        Ok(taken) => Response::DataAdded {
            path: spec.target.clone(),
            body: Body::from_bytes(taken.bytes),
            rows_read: taken.rows_read,
            rows_kept: taken.rows_kept,
        },
        Err(e) => super::failed("add the data", format!("{}: {e}", spec.name)),
    }
}
