-- Every delta lead says which fields changed, or it was not a change.
select *
from {{ ref('delta_leads') }}
where changed_fields = ''
