{% snapshot snap_source1_file %}

{{
    config(
        unique_key='credential_number',
        strategy='check',
        check_cols='all',
        hard_deletes='invalidate',
    )
}}

-- Every column but the loader's own timestamp, so a reload alone is not a change.
select {{ dbt_utils.star(source('brightwheel_exercise', 'source1_file'), except=['_fivetran_synced']) }}
from {{ source('brightwheel_exercise', 'source1_file') }}

{% endsnapshot %}
