{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='at', begin='2024-01-01', batch_size='day') }}
select 1 as id, current_date as at
