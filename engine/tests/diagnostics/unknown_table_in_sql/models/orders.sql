select *
from analytics.missing_table
