{% snapshot snap_salesforce_leads %}

{{
    config(
        unique_key='lead_id',
        strategy='timestamp',
        updated_at='last_modified_at',
        invalidate_hard_deletes=True,
    )
}}

select
    id as lead_id,
    status,
    outreach_stage_c as outreach_stage,
    lead_source,
    phone,
    street,
    capacity_c as capacity,
    created_date::timestamp as created_at,
    last_modified_date::timestamp as last_modified_at
from {{ source('brightwheel_exercise', 'salesforce_leads') }}

{% endsnapshot %}
