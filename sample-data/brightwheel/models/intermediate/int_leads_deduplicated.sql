-- One row per lead key (phone at an address); the most recently licensed record wins.
with ranked as (
    select
        *,
        row_number() over (
            partition by lead_key
            order by license_issued desc nulls last, source, provider_id
        ) as lead_rank,
        count(*) over (partition by lead_key) as records_for_lead,
        count(*) over (partition by phone_digits) as records_for_phone
    from {{ ref('int_providers_unioned') }}
)

select *
from ranked
where lead_rank = 1
