-- Share of existing leads being worked today and over the last week, as of each extract.
with leads as (
    select lead_id, status, last_modified_at, loaded_at as as_of
    from {{ ref('stg_salesforce_leads') }}
),

periods as (
    select 'today' as period, 0 as days_back
    union all
    select 'last_week', {{ var('worked_window_days') }}
)

select
    periods.period,
    max(leads.as_of) as as_of,
    count(*) as existing_leads,
    sum(
        case
            when leads.status in ('Working', 'Connected')
             and leads.last_modified_at >= dateadd(day, -periods.days_back, date_trunc('day', leads.as_of))
            then 1 else 0
        end
    ) as leads_worked,
    round(100.0 * leads_worked / existing_leads, 1) as pct_worked
from leads
cross join periods
group by periods.period, periods.days_back
