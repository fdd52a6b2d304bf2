select id
from {{ ref('flags') }}
where active is not true
