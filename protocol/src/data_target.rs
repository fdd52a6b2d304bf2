//! Where a data file the user brings lands in the project: as a load of a declared source
//! (`data/<source>/<table>/<load date>.<ext>`, the convention the engine reads) or as a seed.

/// The kinds of data file the playground loads, told by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Parquet,
}

/// dbt reads seeds from CSV only.
pub const SEEDS_ARE_CSV: &str =
    "dbt seeds are CSV files; load a Parquet file into a source instead";

impl DataFormat {
    pub fn of(file_name: &str) -> Option<DataFormat> {
        let lower = file_name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(DataFormat::Csv)
        } else if lower.ends_with(".parquet") {
            Some(DataFormat::Parquet)
        } else {
            None
        }
    }

    /// `of`, or why the file is not one.
    pub fn required(file_name: &str) -> Result<DataFormat, String> {
        DataFormat::of(file_name)
            .ok_or_else(|| format!("`{file_name}` is neither a .csv nor a .parquet file"))
    }

    fn extension(self) -> &'static str {
        match self {
            DataFormat::Csv => "csv",
            DataFormat::Parquet => "parquet",
        }
    }
}

/// A place for a data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Source { source: String, table: String },
    Seed,
}

impl Destination {
    /// The value of its `<option>`: `source:<source>.<table>` or `seed`.
    pub fn key(&self) -> String {
        match self {
            Destination::Source { source, table } => format!("source:{source}.{table}"),
            Destination::Seed => "seed".into(),
        }
    }

    pub fn from_key(key: &str) -> Option<Destination> {
        if key == "seed" {
            return Some(Destination::Seed);
        }
        let (source, table) = key.strip_prefix("source:")?.split_once('.')?;
        Some(Destination::Source {
            source: source.into(),
            table: table.into(),
        })
    }
}

/// The declared source tables, from the unique ids of the project's source nodes
/// (`source.<project>.<source>.<table>`).
pub fn sources<'a>(unique_ids: impl Iterator<Item = &'a str>) -> Vec<Destination> {
    unique_ids
        .filter_map(|id| {
            let rest = id.strip_prefix("source.")?;
            let (_, name) = rest.split_once('.')?;
            let (source, table) = name.split_once('.')?;
            Some(Destination::Source {
                source: source.into(),
                table: table.into(),
            })
        })
        .collect()
}

fn stem(file_name: &str) -> &str {
    file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem)
}

/// The file name as a dbt name: lower case, other characters as `_`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// The source table named like the file, else the first one, else a seed.
pub fn default_destination(choices: &[Destination], file_name: &str) -> Destination {
    let wanted = snake(stem(file_name));
    choices
        .iter()
        .find(|d| matches!(d, Destination::Source { table, .. } if snake(table) == wanted))
        .or_else(|| choices.first())
        .cloned()
        .unwrap_or(Destination::Seed)
}

/// The project path the file becomes.
pub fn target_path(
    destination: &Destination,
    load_date: &str,
    file_name: &str,
) -> Result<String, String> {
    let format = DataFormat::required(file_name)?;
    match destination {
        Destination::Seed if format != DataFormat::Csv => Err(SEEDS_ARE_CSV.into()),
        Destination::Seed => {
            let name = snake(stem(file_name));
            if name.is_empty() {
                return Err(format!("cannot make a seed name from `{file_name}`"));
            }
            Ok(format!("seeds/{name}.csv"))
        }
        Destination::Source { source, table } => {
            let ok = chrono::NaiveDate::parse_from_str(load_date, "%Y-%m-%d").is_ok();
            if !ok {
                return Err(format!(
                    "the load date `{load_date}` is not a date (YYYY-MM-DD)"
                ));
            }
            Ok(format!(
                "data/{source}/{table}/{load_date}.{}",
                format.extension()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn files_land_as_source_loads_or_seeds() {
        let choices = sources(
            [
                "model.shop.orders_by_day",
                "source.shop.shop.orders",
                "source.shop.shop.refunds",
            ]
            .into_iter(),
        );
        assert_eq!(choices.len(), 2);
        let picked = default_destination(&choices, "Refunds.parquet");
        assert_eq!(picked.key(), "source:shop.refunds");
        assert_eq!(Destination::from_key(&picked.key()), Some(picked.clone()));
        assert_eq!(
            target_path(&picked, "2024-05-03", "Refunds.parquet").unwrap(),
            "data/shop/refunds/2024-05-03.parquet"
        );
        assert_eq!(
            default_destination(&choices, "other.csv").key(),
            "source:shop.orders"
        );
        assert_eq!(default_destination(&[], "x.csv"), Destination::Seed);
        assert_eq!(
            target_path(&Destination::Seed, "", "Region Codes (v2).CSV").unwrap(),
            "seeds/region_codes_v2.csv"
        );
    }

    #[test]
    fn refuses_what_cannot_land() {
        assert!(target_path(&Destination::Seed, "", "x.parquet").is_err());
        assert!(target_path(&Destination::Seed, "", "x.json").is_err());
        let source = Destination::from_key("source:a.b").unwrap();
        assert!(target_path(&source, "May 3", "x.csv").is_err());
        assert_eq!(Destination::from_key("nonsense"), None);
    }
}
