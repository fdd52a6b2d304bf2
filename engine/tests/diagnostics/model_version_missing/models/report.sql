select id from {{ ref('dim_customers', v=3) }}
