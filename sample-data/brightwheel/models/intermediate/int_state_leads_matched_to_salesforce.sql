-- State leads matched to existing Salesforce leads: by phone first, then by address.
with leads as (
    select * from {{ ref('int_leads_deduplicated') }}
),

salesforce as (
    select * from {{ ref('int_salesforce_leads_normalized') }}
),

by_phone as (
    select leads.lead_key, min(salesforce.lead_id) as lead_id
    from leads
    join salesforce on salesforce.phone_digits = leads.phone_digits
    group by leads.lead_key
),

by_address as (
    select leads.lead_key, min(salesforce.lead_id) as lead_id
    from leads
    join salesforce
        on salesforce.address_key = leads.address_key
        and salesforce.zip = leads.zip
    group by leads.lead_key
)

select
    leads.*,
    nvl(by_phone.lead_id, by_address.lead_id) as salesforce_lead_id,
    case
        when by_phone.lead_id is not null then 'phone'
        when by_address.lead_id is not null then 'address'
    end as match_method
from leads
left join by_phone on by_phone.lead_key = leads.lead_key
left join by_address on by_address.lead_key = leads.lead_key
