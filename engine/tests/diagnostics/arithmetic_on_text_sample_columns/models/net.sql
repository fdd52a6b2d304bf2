select
    id,
    price - commission as net
from {{ source('shop', 'orders') }}
