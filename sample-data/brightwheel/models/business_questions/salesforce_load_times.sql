-- When each lead was loaded into Salesforce, and how long it has been there.
select
    lead_id,
    min(created_at) as created_in_salesforce_at,
    min(dbt_valid_from) as first_seen_at,
    max(last_modified_at) as last_touched_at,
    count(*) as versions,
    to_char(created_in_salesforce_at, 'YYYY-MM') as created_month,
    date_trunc('week', created_in_salesforce_at) as created_week,
    datediff(day, created_in_salesforce_at, last_touched_at) as days_to_last_touch,
    datediff(day, created_in_salesforce_at, getdate()) as days_in_salesforce
from {{ ref('snap_salesforce_leads') }}
group by lead_id
