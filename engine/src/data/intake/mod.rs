//! Data a user brings (a CSV or Parquet file, possibly far larger than a browser should
//! hold), cut down while it is read to the rows the playground keeps: all of them, the first
//! N, or a uniform random N. Reading is the caller's: the functions take a reader, so the
//! page's worker can feed them a file slice by slice and report progress.

mod csv_rows;
mod parquet_rows;

pub use csv_rows::take_csv;
pub use parquet_rows::take_parquet;

/// Which rows to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    All,
    First(usize),
    /// A uniform random sample of this many rows (every row equally likely, file order
    /// kept), the same for the same seed.
    Random {
        rows: usize,
        seed: u64,
    },
}

/// The rows kept, as a file of the same format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub bytes: Vec<u8>,
    /// Rows in the file, as far as it was read: the first N stop reading early, except in
    /// Parquet, whose footer holds the count.
    pub rows_read: u64,
    pub rows_kept: u64,
}

/// Picks, from a stream of rows of unknown length, the ones a `Keep` keeps: a reservoir for
/// random samples (Vitter's algorithm R), so memory stays at the sample's size.
pub(crate) struct Picker<T> {
    keep: Keep,
    rng: crate::sample::rng::Rng,
    seen: u64,
    kept: Vec<(u64, T)>,
}

impl<T> Picker<T> {
    pub(crate) fn new(keep: Keep) -> Self {
        let seed = match keep {
            Keep::Random { seed, .. } => seed,
            _ => 0,
        };
        Picker {
            keep,
            rng: crate::sample::rng::Rng::stream(seed, "intake"),
            seen: 0,
            kept: Vec::new(),
        }
    }

    /// Whether more rows could still be kept (false once the first N are in).
    pub(crate) fn wants_more(&self) -> bool {
        !matches!(self.keep, Keep::First(n) if self.kept.len() >= n)
    }

    pub(crate) fn offer(&mut self, row: T) {
        let index = self.seen;
        self.seen += 1;
        match self.keep {
            Keep::All => self.kept.push((index, row)),
            Keep::First(n) => {
                if self.kept.len() < n {
                    self.kept.push((index, row));
                }
            }
            Keep::Random { rows, .. } => {
                if self.kept.len() < rows {
                    self.kept.push((index, row));
                } else {
                    let slot = self
                        .rng
                        .below(usize::try_from(self.seen).unwrap_or(usize::MAX));
                    if let Some(place) = self.kept.get_mut(slot) {
                        *place = (index, row);
                    }
                }
            }
        }
    }

    pub(crate) fn seen(&self) -> u64 {
        self.seen
    }

    /// The kept rows in file order.
    pub(crate) fn finish(mut self) -> Vec<T> {
        self.kept.sort_by_key(|(i, _)| *i);
        self.kept.into_iter().map(|(_, row)| row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(keep: Keep, n: u64) -> Vec<u64> {
        let mut p = Picker::new(keep);
        for i in 0..n {
            p.offer(i);
        }
        p.finish()
    }

    #[test]
    fn keeps_all_the_first_or_a_sorted_random_sample() {
        assert_eq!(picked(Keep::All, 4), [0, 1, 2, 3]);
        assert_eq!(picked(Keep::First(2), 4), [0, 1]);
        let sample = picked(Keep::Random { rows: 10, seed: 7 }, 1000);
        assert_eq!(sample.len(), 10);
        assert!(sample.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample, picked(Keep::Random { rows: 10, seed: 7 }, 1000));
        assert_ne!(sample, picked(Keep::Random { rows: 10, seed: 8 }, 1000));
        assert_eq!(picked(Keep::Random { rows: 10, seed: 7 }, 3), [0, 1, 2]);
    }

    #[test]
    fn a_random_sample_is_uniform() {
        // Each of 20 rows should land in a 5-row sample a quarter of the time.
        let mut hits = [0u32; 20];
        for seed in 0..4000 {
            for i in picked(Keep::Random { rows: 5, seed }, 20) {
                hits[i as usize] += 1;
            }
        }
        for h in hits {
            assert!((850..1150).contains(&h), "{hits:?}");
        }
    }
}
