{{ config(contract={'enforced': true}) }}
select order_id::int as order_id
from (select 1 as order_id union all select null union all select null) as raw
