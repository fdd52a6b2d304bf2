select
    {{ cent_to_dollars('amount') }} as dollars
from (select 100 as amount) as t
