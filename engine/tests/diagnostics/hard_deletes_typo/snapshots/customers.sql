{% snapshot customers_snapshot %}
{{ config(target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='invalidated') }}
select * from {{ ref('raw_customers') }}
{% endsnapshot %}
