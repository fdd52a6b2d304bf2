select
    id,
    {{ ref('customers' }} as c
from x
