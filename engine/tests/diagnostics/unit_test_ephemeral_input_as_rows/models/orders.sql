select order_id from {{ ref('base_orders') }}
