select
    week,
    visits * 1.0 as visits,
    orders / visits as conversion
from {{ ref('weeks') }}
