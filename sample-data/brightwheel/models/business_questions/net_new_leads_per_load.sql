-- How many providers each file load brought that no earlier load of that file had.
with first_seen as (
    {% for n, key in [(1, 'credential_number'), (2, 'type_license'), (3, 'operation')] %}
    select 'source{{ n }}' as source, {{ key }} as provider_key, min(dbt_valid_from) as first_seen_at
    from {{ ref('snap_source' ~ n ~ '_file') }}
    group by {{ key }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    source,
    first_seen_at as load_at,
    count(*) as net_new_leads,
    sum(count(*)) over (partition by source order by first_seen_at rows unbounded preceding) as leads_to_date
from first_seen
group by source, first_seen_at
