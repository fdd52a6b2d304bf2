-- orders per customer
select *
from {{ ref('customer') }}
