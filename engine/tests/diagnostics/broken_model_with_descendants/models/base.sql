select
    missing_column
from (select 1 as id) t
