//! Every reader of data files: CSV and Parquet sample loads and seeds, the load paths and
//! times of `data/<source>/<table>/<load>`, and the sampling of a file a user brings.

pub mod csv;
pub mod intake;
pub mod loads;
pub mod parquet;
pub mod typed;
