//! The Redshift layer between sqlparser's Redshift dialect and DataFusion.

pub mod catalog;
pub mod count_distinct;
pub mod decimals;
pub mod dialect;
pub mod functions;
pub mod lateral;
pub mod listagg;
mod one_group;
pub mod pivot;
pub mod rewrite;
pub mod system;
#[cfg(test)]
mod test_rows;
pub mod text_rules;
pub mod types;

pub use rewrite::rewrite;
