select *
from {{ source('crm', 'lead') }}
