{{ config(materialized='incremental', on_schema_change='append_new_column') }}
select 1 as id
