-- Which source gives the best-performing leads: Salesforce status by originating file.
with matched as (
    select salesforce_lead_id, min(source) as originating_source
    from {{ ref('int_state_leads_matched_to_salesforce') }}
    where salesforce_lead_id is not null
    group by salesforce_lead_id
),

leads as (
    select
        salesforce.lead_id,
        salesforce.status,
        salesforce.lead_source,
        salesforce.capacity,
        nvl(matched.originating_source, 'salesforce_only') as originating_source
    from {{ ref('int_salesforce_leads_normalized') }} as salesforce
    left join matched on matched.salesforce_lead_id = salesforce.lead_id
)

select
    originating_source,
    lead_source,
    count(*) as leads,
    sum(case when status = 'Connected' then 1 else 0 end) as connected,
    sum(case when status in ('Working', 'Connected') then 1 else 0 end) as worked,
    round(100.0 * connected / leads, 1) as pct_connected,
    ratio_to_report(count(*)) over (partition by originating_source) as share_of_source,
    median(capacity) as median_capacity
from leads
group by originating_source, lead_source
