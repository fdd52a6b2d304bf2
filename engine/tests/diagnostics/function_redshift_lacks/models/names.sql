select
    string_agg(name, ',') as names
from {{ ref('people') }}
