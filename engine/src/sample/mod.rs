//! The deterministic generator of the built-in project's raw files.
//!
//! Same spec, same bytes: a small PRNG seeded from the spec drives every choice. The data
//! is synthetic (fictional `555` phone numbers, `example.com` e-mail, invented names) and
//! has the awkward parts of real agency files: quoted commas and line breaks, embedded
//! quotes, two-digit years, leading zeros, mixed case, blank versus missing values, phones
//! shared by several addresses, providers present in two files and in Salesforce, and
//! records that change, disappear and arrive between loads.

mod csv_writer;
mod providers;
pub(crate) mod rng;
mod salesforce;
mod states;

use crate::files::ProjectFiles;

pub use providers::Provider;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSpec {
    /// Providers per state file (the Salesforce extract is about as large).
    pub rows: usize,
    pub seed: u64,
    /// Monthly drops of each state file.
    pub state_loads: usize,
    /// Daily Salesforce extracts.
    pub salesforce_loads: usize,
}

impl Default for SampleSpec {
    fn default() -> Self {
        SampleSpec {
            rows: 60,
            seed: 42,
            state_loads: 3,
            salesforce_loads: 4,
        }
    }
}

/// The schema the raw files land in.
pub const SOURCE: &str = "brightwheel_exercise";

/// The files of every load, as `data/<source>/<table>/<load>.csv`.
pub fn generate(spec: &SampleSpec) -> ProjectFiles {
    let world = providers::World::new(spec);
    let mut files = ProjectFiles::new();
    for load in 0..spec.state_loads {
        let stamp = providers::state_load_stamp(load);
        for (table, bytes) in states::files(&world, load) {
            files.insert(format!("data/{SOURCE}/{table}/{stamp}.csv"), bytes);
        }
    }
    files.insert("seeds/planted_facts.csv", planted_facts(&world));
    for load in 0..spec.salesforce_loads {
        let stamp = salesforce::load_stamp(load);
        files.insert(
            format!("data/{SOURCE}/salesforce_leads/{stamp}.csv"),
            salesforce::file(&world, spec, load),
        );
    }
    files
}

/// What the generator changed on purpose, per state file and load, for the project's
/// singular tests to check the snapshots and delta models against.
fn planted_facts(world: &providers::World) -> Vec<u8> {
    use providers::Agency;
    let quirks = states::texas_quirks(world);
    let mut rows: Vec<Vec<csv_writer::Cell>> = Vec::new();
    for (agency, source) in [
        (Agency::Nevada, "source1"),
        (Agency::Oklahoma, "source2"),
        (Agency::Texas, "source3"),
    ] {
        for load in 1..world.state_loads {
            let at = format!("{} 06:00:00", providers::state_load_date(load));
            let of = || world.of(agency);
            let mut facts = vec![
                ("net_new", of().filter(|p| p.appears == load).count()),
                ("removed", of().filter(|p| p.deleted == Some(load)).count()),
            ];
            // Nevada's file has no capacity column.
            if agency != Agency::Nevada {
                let changed = of()
                    .filter(|p| p.capacity_changed_at(load) && p.id != quirks.blank_capacity)
                    .count();
                facts.push(("capacity_changes", changed));
            }
            for (fact, value) in facts {
                rows.push(vec![
                    fact.into(),
                    source.into(),
                    at.as_str().into(),
                    value.to_string().into(),
                ]);
            }
        }
    }
    csv_writer::write(&["fact", "source", "load_at", "value"], &rows, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        let spec = SampleSpec {
            rows: 30,
            ..SampleSpec::default()
        };
        assert_eq!(generate(&spec), generate(&spec));
        let other = SampleSpec {
            seed: 7,
            ..spec.clone()
        };
        assert_ne!(generate(&spec), generate(&other));
    }

    #[test]
    fn every_load_parses_with_the_headers_the_spec_names() {
        let files = generate(&SampleSpec::default());
        assert_eq!(files.len(), 3 * 3 + 4 + 1);
        for (path, bytes) in files.under("data") {
            let (table, _) = crate::data::csv::parse_csv(path, bytes, b',').unwrap();
            let expected = match path.split('/').nth(2) {
                Some("salesforce_leads") => 30,
                Some("source1_file") => 13,
                Some("source2_file") => 30,
                Some("source3_file") => 20,
                other => panic!("unexpected table {other:?}"),
            };
            assert_eq!(table.headers.len(), expected, "{path}");
            assert!(!table.rows.is_empty(), "{path}");
        }
    }

    #[test]
    fn size_scales_the_rows() {
        let big = generate(&SampleSpec {
            rows: 2000,
            ..SampleSpec::default()
        });
        let (t, _) = crate::data::csv::parse_csv(
            "x",
            big.get("data/brightwheel_exercise/source3_file/2024-05-01T06-00-00.csv")
                .unwrap(),
            b',',
        )
        .unwrap();
        assert!(t.rows.len() > 1800, "{}", t.rows.len());
    }
}
