{% snapshot snap_source2_file %}

{{
    config(
        unique_key='type_license',
        strategy='check',
        check_cols='all',
        hard_deletes='invalidate',
    )
}}

-- Every column but the loader's own timestamp, so a reload alone is not a change.
select {{ dbt_utils.star(source('brightwheel_exercise', 'source2_file'), except=['_fivetran_synced']) }}
from {{ source('brightwheel_exercise', 'source2_file') }}

{% endsnapshot %}
