{{ config(materialized='ephemeral') }}

-- Salesforce states come as codes, full names, provinces or `Other`.
select
    leads.*,
    nvl(codes.state_code, case when len(leads.state_raw) = 2 then upper(leads.state_raw) end, 'Other') as state
from {{ ref('stg_salesforce_leads') }} as leads
left join {{ ref('state_codes') }} as codes
    on lower(codes.state_name) = lower(leads.state_raw)
