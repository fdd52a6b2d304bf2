-- Each monthly load brought exactly the new providers the generator planted.
with planted as (
    select source, load_at, value
    from {{ ref('planted_facts') }}
    where fact = 'net_new'
),

-- Only loads the snapshots have seen, after the first, are compared.
first_loads as (
    select source, min(load_at) as first_load_at, max(load_at) as last_load_at
    from {{ ref('net_new_leads_per_load') }}
    group by source
)

select planted.source, planted.load_at, planted.value as planted, nvl(observed.net_new_leads, 0) as observed
from planted
join first_loads
    on first_loads.source = planted.source
    and planted.load_at > first_loads.first_load_at
    and planted.load_at <= first_loads.last_load_at
left join {{ ref('net_new_leads_per_load') }} as observed
    on observed.source = planted.source
    and observed.load_at = planted.load_at
where planted.value <> nvl(observed.net_new_leads, 0)
