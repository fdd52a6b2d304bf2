select
    code::int as code_number
from {{ ref('raw') }}
