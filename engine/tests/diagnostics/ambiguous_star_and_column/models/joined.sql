select *, id
from {{ ref('a') }} as a
join {{ ref('b') }} as b on a.id = b.id
