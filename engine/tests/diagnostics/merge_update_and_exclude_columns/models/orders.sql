{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='order_id',
    merge_update_columns=['status'],
    merge_exclude_columns=['placed_at']
) }}
select 1 as order_id, 'placed' as status, current_date as placed_at
