select *
from (select 1 as id) t
where id > {{ var('min_id') }}
