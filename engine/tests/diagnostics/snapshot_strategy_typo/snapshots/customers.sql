{% snapshot customers_snapshot %}
{{ config(
    target_schema='snapshots',
    unique_key='id',
    strategy='timestmp',
    updated_at='updated_at'
) }}
select * from {{ ref('raw_customers') }}
{% endsnapshot %}
