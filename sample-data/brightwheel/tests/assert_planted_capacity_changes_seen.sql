-- The capacity changes the snapshots saw at each load are exactly those the generator planted.
-- Only loads the snapshots have history for are compared, so a plain build checks nothing
-- and `modelplay build --replay` checks every monthly load after the first.
with planted as (
    select source, load_at, value
    from {{ ref('planted_facts') }}
    where fact = 'capacity_changes'
),

snapshot_loads as (
    {% for n in [2, 3] %}
    select distinct 'source{{ n }}' as source, dbt_valid_from as load_at
    from {{ ref('snap_source' ~ n ~ '_file') }}
    where dbt_valid_from > (select min(dbt_valid_from) from {{ ref('snap_source' ~ n ~ '_file') }})
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

observed as (
    select source, changed_at as load_at, count(*) as value
    from {{ ref('delta_leads') }}
    where changed_fields like '%capacity%'
    group by source, changed_at
)

select planted.source, planted.load_at, planted.value as planted, nvl(observed.value, 0) as observed
from planted
join snapshot_loads
    on snapshot_loads.source = planted.source
    and snapshot_loads.load_at = planted.load_at
left join observed
    on observed.source = planted.source
    and observed.load_at = planted.load_at
where planted.value <> nvl(observed.value, 0)
