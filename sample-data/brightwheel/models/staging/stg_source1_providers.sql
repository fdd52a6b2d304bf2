-- Nevada: one address string holds street, suite, city, state and zip.
with source as (
    select * from {{ source('brightwheel_exercise', 'source1_file') }}
)

select
    'source1' as source,
    credential_number as provider_id,
    initcap(name) as company,
    primary_contact_name as licensee_name,
    initcap(split_part(split_part(primary_contact_name, ' & ', 1), ' ', 1)) as first_name,
    initcap(split_part(split_part(replace(primary_contact_name, ' AND ', ' & '), ' & ', 1), ' ', 2)) as last_name,
    primary_contact_role as title,
    cast(null as varchar) as operator,
    -- Lateral aliases: each line below reads the ones above it, as Redshift allows.
    regexp_substr(address, '^[0-9]+ .*? (ST|AVE|DR|LN|WAY|RD|BLVD|CT|PKWY|PL)\\b', 1, 1, 'p') as address1,
    trim(substring(address, len(address1) + 1)) as address_rest,
    nullif(regexp_substr(address_rest, 'STE [0-9]+'), '') as address2,
    trim(regexp_replace(split_part(address_rest, ', NV', 1), '^,? ?STE [0-9]+ ?', '')) as city,
    state,
    trim(split_part(address_rest, ', NV', 2)) as zip,
    initcap(county) as county,
    phone,
    cast(null as varchar) as phone2,
    cast(null as varchar) as email,
    cast(null as varchar) as website_address,
    credential_number as license_number,
    split_part(credential_type, ' (', 1) as license_type,
    decode(status, 'ACTIVE', 'Active', 'CLOSED', 'Closed', 'Unknown') as license_status,
    to_date(first_issue_date, 'MM/DD/YY') as license_issued,
    cast(null as date) as license_renewed,
    to_date(expiration_date, 'MM/DD/YY') as certificate_expiration_date,
    case when credential_type like '%(PROVISIONAL)' then 'Provisional' else 'Licensed' end as facility_type,
    cast(null as bigint) as capacity,
    cast(null as varchar) as ages_served,
    cast(null as bigint) as min_age,
    cast(null as bigint) as max_age,
    cast(null as varchar) as accepts_financial_aid,
    cast(null as varchar) as curriculum_type,
    cast(null as varchar) as language,
    cast(null as varchar) as schedule,
    {{ digits_only('phone') }} as phone_digits,
    {{ normalize_address('address1') }} as address_key,
    {{ lead_key('phone_digits', 'address_key') }} as lead_key,
    _fivetran_synced as loaded_at
from source
