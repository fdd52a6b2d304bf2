{{ config(dist='all', sort=['state', 'city']) }}

-- State-licensed providers not yet in Salesforce, shaped as a Salesforce Lead upsert.
with leads as (
    select *
    from {{ ref('int_state_leads_matched_to_salesforce') }}
    where salesforce_lead_id is null
      and license_status <> 'Closed'
),

first_seen as (
    select 'source1' as source, credential_number as provider_id, min(dbt_valid_from) as first_seen_at
    from {{ ref('snap_source1_file') }}
    group by credential_number
    union all
    select 'source2', 'K' || split_part(type_license, ' - K', 2), min(dbt_valid_from)
    from {{ ref('snap_source2_file') }}
    group by type_license
    union all
    select 'source3', operation, min(dbt_valid_from)
    from {{ ref('snap_source3_file') }}
    group by operation
)

select
    leads.lead_key as external_lead_key_c,
    nvl(leads.last_name, leads.company) as last_name,
    leads.first_name,
    leads.company,
    leads.address1 as street,
    leads.city,
    leads.state,
    leads.zip as postal_code,
    'US' as country,
    leads.phone_digits as phone,
    leads.email,
    'TAM' as lead_source,
    'Assigned' as status,
    leads.capacity as capacity_c,
    leads.source as originating_source_c,
    leads.license_number as license_number_c,
    first_seen.first_seen_at as first_licensed_seen_at_c,
    getdate() as prepared_at
from leads
left join first_seen
    on first_seen.source = leads.source
    and first_seen.provider_id = leads.provider_id
