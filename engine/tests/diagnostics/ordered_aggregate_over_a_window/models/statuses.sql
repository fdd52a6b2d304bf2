select
    customer_id,
    listagg(distinct status, ',') within group (order by status) over (partition by customer_id) as statuses
from (select 1 as customer_id, 'paid' as status)
