select
    id,
    trim(code, '0') as code
from (select 1 as id, '007' as code)
