select *
from {{ ref('payments') }}
pivot (sum(amount) for status in ('paid', 'refunded'))
