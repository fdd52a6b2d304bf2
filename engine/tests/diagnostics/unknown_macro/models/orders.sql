select
    1 as id,
    {{ cent_to_dollars('amount') }} as amount
from (select 250 as amount) as t
