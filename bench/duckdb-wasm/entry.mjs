// DuckDB-Wasm's browser API, bundled with its Apache Arrow dependency into one module.
export * from "@duckdb/duckdb-wasm";
