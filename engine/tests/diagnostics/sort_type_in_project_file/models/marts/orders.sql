select 1 as id, current_date as created_at
