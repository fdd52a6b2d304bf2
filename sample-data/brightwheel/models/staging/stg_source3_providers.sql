-- Texas: ages come as four Y/N flags; issue dates have two-digit years back to 1994.
with source as (
    select * from {{ source('brightwheel_exercise', 'source3_file') }}
),

ages as (
    select operation, 1 as age_order, 'Infants' as age from source where infant = 'Y'
    union all
    select operation, 2, 'Toddlers' from source where toddler = 'Y'
    union all
    select operation, 3, 'Preschool' from source where preschool = 'Y'
    union all
    select operation, 4, 'School-age' from source where school = 'Y'
),

ages_served as (
    select
        operation,
        listagg(age, ', ') within group (order by age_order) as ages_served,
        min(age_order) as youngest,
        max(age_order) as oldest
    from ages
    group by operation
)

select
    'source3' as source,
    source.operation as provider_id,
    trim(operation_caregiver_name) as company,
    cast(null as varchar) as licensee_name,
    cast(null as varchar) as first_name,
    cast(null as varchar) as last_name,
    cast(null as varchar) as title,
    cast(null as varchar) as operator,
    upper(address) as address1,
    cast(null as varchar) as address2,
    initcap(city) as city,
    state,
    zip,
    initcap(county) as county,
    phone,
    cast(null as varchar) as phone2,
    lower(email_address) as email,
    cast(null as varchar) as website_address,
    source.operation as license_number,
    type as license_type,
    nvl(status, 'Unknown') as license_status,
    to_date(issue_date, 'MM/DD/YY') as license_issued,
    cast(null as date) as license_renewed,
    cast(null as date) as certificate_expiration_date,
    split_part(type, ' - ', 1) as facility_type,
    capacity::bigint as capacity,
    ages_served.ages_served,
    decode(ages_served.youngest, 1, 0, 2, 12, 3, 24, 60) as min_age,
    decode(ages_served.oldest, 1, 11, 2, 23, 3, 48, 216) as max_age,
    cast(null as varchar) as accepts_financial_aid,
    cast(null as varchar) as curriculum_type,
    cast(null as varchar) as language,
    cast(null as varchar) as schedule,
    {{ digits_only('phone') }} as phone_digits,
    {{ normalize_address('address1') }} as address_key,
    {{ lead_key('phone_digits', 'address_key') }} as lead_key,
    _fivetran_synced as loaded_at
from source
left join ages_served on ages_served.operation = source.operation
