select
    c.orders[0].id as first_order
from (select json_parse('{"orders": [{"id": 1}]}') as orders) c
