{% set cols = ['id', 'status'] %}
select
    {{ cols[0] }},
    {{ cols[1] }}
from (select 1 as id, 'x' as status) t
where id = = 1
