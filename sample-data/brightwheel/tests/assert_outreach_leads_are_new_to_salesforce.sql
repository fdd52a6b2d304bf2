-- A lead already in Salesforce (same phone) must not be sent again.
select outreach.external_lead_key_c, outreach.phone
from {{ ref('leads_for_outreach') }} as outreach
join {{ ref('stg_salesforce_leads') }} as salesforce
    on salesforce.phone_digits = outreach.phone
