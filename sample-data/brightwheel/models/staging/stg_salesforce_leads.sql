with source as (
    select * from {{ source('brightwheel_exercise', 'salesforce_leads') }}
),

renamed as (
    select
        id as lead_id,
        is_deleted::boolean as is_deleted,
        nullif(trim(first_name), '') as first_name,
        last_name,
        title,
        company,
        street,
        city,
        trim(state) as state_raw,
        postal_code,
        left(postal_code, 5) as zip,
        nvl(country, 'Unknown') as country,
        phone,
        {{ digits_only('phone') }} as phone_digits,
        {{ digits_only('mobile_phone') }} as mobile_phone_digits,
        lower(email) as email,
        website,
        lead_source,
        status,
        is_converted::boolean as is_converted,
        -- Salesforce prints hours without zero padding: 2024-05-16 7:04:11
        created_date::timestamp as created_at,
        last_modified_date::timestamp as last_modified_at,
        last_activity_date::date as last_activity_date,
        email_bounced_reason,
        outreach_stage_c as outreach_stage,
        current_enrollment_c::int as current_enrollment,
        capacity_c::int as capacity,
        lead_source_last_updated_c::date as lead_source_last_updated,
        brightwheel_school_uuid_c as brightwheel_school_uuid,
        _fivetran_synced as loaded_at
    from source
)

select
    *,
    {{ normalize_address('street') }} as address_key,
    {{ lead_key('phone_digits', normalize_address('street')) }} as lead_key
from renamed
where not is_deleted
