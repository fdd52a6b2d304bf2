//! Parquet rows: the file's footer says how many rows it holds, so a random sample picks its
//! row numbers first and the reader decodes only the pages that hold them.

use std::collections::BTreeSet;

use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReaderBuilder, RowSelection};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::ChunkReader;

use super::{Keep, Taken};

/// Keeps the rows `keep` picks, as a Parquet file with the same columns. `progress` hears
/// the fraction of the rows to read that have been read.
pub fn take_parquet<R: ChunkReader + 'static>(
    input: R,
    keep: Keep,
    progress: &mut dyn FnMut(f64),
) -> Result<Taken, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("cannot read this Parquet file: {e}");
    let builder = ParquetRecordBatchReaderBuilder::try_new(input).map_err(|e| unreadable(&e))?;
    let total = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let schema = builder.schema().clone();
    let (builder, wanted) = match keep {
        Keep::All => (builder, total),
        Keep::First(n) => (builder.with_limit(n), n.min(total)),
        Keep::Random { rows, seed } => {
            let picked = pick_rows(total, rows, seed);
            let ranges = picked.iter().map(|&i| i..i + 1);
            let selection = RowSelection::from_consecutive_ranges(ranges, total);
            (builder.with_row_selection(selection), picked.len())
        }
    };
    let reader = builder.build().map_err(|e| unreadable(&e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut bytes = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut bytes, schema, Some(props)).map_err(|e| unreadable(&e))?;
    let mut kept = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(&e))?;
        kept += batch.num_rows();
        writer.write(&batch).map_err(|e| unreadable(&e))?;
        if wanted > 0 {
            progress(kept as f64 / wanted as f64);
        }
    }
    writer.close().map_err(|e| unreadable(&e))?;
    progress(1.0);
    Ok(Taken {
        bytes,
        // The footer gives the file's rows, whether or not all of them were decoded.
        rows_read: total as u64,
        rows_kept: kept as u64,
    })
}

/// `rows` distinct row numbers below `total`, each subset equally likely (Floyd's
/// algorithm: as many draws as rows wanted, whatever the file's size).
fn pick_rows(total: usize, rows: usize, seed: u64) -> BTreeSet<usize> {
    let mut rng = crate::sample::rng::Rng::stream(seed, "intake");
    let mut picked = BTreeSet::new();
    for j in total.saturating_sub(rows)..total {
        let t = rng.below(j + 1);
        if !picked.insert(t) {
            picked.insert(j);
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bytes::Bytes;
    use datafusion::arrow::array::{Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn numbers(n: i64) -> Bytes {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let mut out = Vec::new();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(1000))
            .build();
        let mut w = ArrowWriter::try_new(&mut out, schema.clone(), Some(props)).unwrap();
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..n))])
                .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        Bytes::from(out)
    }

    fn values(bytes: Vec<u8>) -> Vec<i64> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes))
            .unwrap()
            .build()
            .unwrap();
        reader
            .flat_map(|b| {
                let b = b.unwrap();
                b.column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .values()
                    .to_vec()
            })
            .collect()
    }

    #[test]
    fn keeps_all_the_first_or_a_random_sample_in_file_order() {
        let all = take_parquet(numbers(5000), Keep::All, &mut |_| {}).unwrap();
        assert_eq!(values(all.bytes), (0..5000).collect::<Vec<_>>());
        let first = take_parquet(numbers(5000), Keep::First(3), &mut |_| {}).unwrap();
        assert_eq!((first.rows_read, first.rows_kept), (5000, 3));
        assert_eq!(values(first.bytes), [0, 1, 2]);
        let mut heard = Vec::new();
        let random = take_parquet(
            numbers(5000),
            Keep::Random { rows: 40, seed: 3 },
            &mut |f| heard.push(f),
        )
        .unwrap();
        assert_eq!((random.rows_read, random.rows_kept), (5000, 40));
        let picked = values(random.bytes);
        assert_eq!(picked.len(), 40);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        // Spread over the file, not bunched at its start.
        assert!(*picked.last().unwrap() > 2500, "{picked:?}");
        assert_eq!(heard.last(), Some(&1.0));
    }

    #[test]
    fn floyd_picks_distinct_rows_uniformly() {
        assert_eq!(pick_rows(3, 10, 1), BTreeSet::from([0, 1, 2]));
        let mut hits = [0u32; 10];
        for seed in 0..5000 {
            let p = pick_rows(10, 3, seed);
            assert_eq!(p.len(), 3);
            for i in p {
                hits[i] += 1;
            }
        }
        for h in hits {
            assert!((1350..1650).contains(&h), "{hits:?}");
        }
    }

    #[test]
    fn a_file_that_is_not_parquet_is_an_error() {
        assert!(take_parquet(Bytes::from_static(b"id,name\n"), Keep::All, &mut |_| {}).is_err());
    }
}
