{% snapshot snap_orders %}
{{ config(strategy='check', check_cols='all', target_schema='snapshots') }}
select 1 as id
{% endsnapshot %}
