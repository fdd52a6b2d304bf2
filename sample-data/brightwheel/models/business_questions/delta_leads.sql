-- Leads whose licensing record changed since the previous load, with the fields that changed.
{% set snapshots = [
    ('source1', 'snap_source1_file', 'credential_number', 'phone', 'address', 'cast(null as varchar)', 'status'),
    ('source2', 'snap_source2_file', 'type_license', 'phone', 'address1', 'total_cap', 'star_level'),
    ('source3', 'snap_source3_file', 'operation', 'phone', 'address', 'capacity', 'status'),
] %}

with versions as (
    {% for source, snapshot, key, phone, address, capacity, status in snapshots %}
    select
        '{{ source }}' as source,
        {{ key }} as provider_key,
        {{ phone }} as phone,
        {{ address }} as address,
        {{ capacity }} as capacity,
        {{ status }} as status,
        dbt_valid_from,
        dbt_valid_to
    from {{ ref(snapshot) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

compared as (
    select
        *,
        lag(dbt_valid_from) over (partition by source, provider_key order by dbt_valid_from) as previous_valid_from,
        lag(phone) over (partition by source, provider_key order by dbt_valid_from) as previous_phone,
        lag(address) over (partition by source, provider_key order by dbt_valid_from) as previous_address,
        lag(capacity) over (partition by source, provider_key order by dbt_valid_from) as previous_capacity,
        lag(status) over (partition by source, provider_key order by dbt_valid_from) as previous_status
    from versions
)

select
    source,
    provider_key,
    dbt_valid_from as changed_at,
    previous_valid_from,
    btrim(
        case when nvl(phone, '') <> nvl(previous_phone, '') then 'phone, ' else '' end
        || case when nvl(address, '') <> nvl(previous_address, '') then 'address, ' else '' end
        || case when nvl(capacity, '') <> nvl(previous_capacity, '') then 'capacity, ' else '' end
        || case when nvl(status, '') <> nvl(previous_status, '') then 'status, ' else '' end,
        ', '
    ) as changed_fields,
    previous_phone,
    phone,
    previous_capacity,
    capacity,
    previous_status,
    status
from compared
where previous_valid_from is not null
