{{ config(
    materialized='incremental',
    unique_key='id',
    incremental_strategy='mrege'
) }}
select 1 as id
