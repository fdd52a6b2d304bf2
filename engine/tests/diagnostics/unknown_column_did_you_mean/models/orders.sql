select
    customer_id,
    frist_name
from {{ ref('customers') }}
