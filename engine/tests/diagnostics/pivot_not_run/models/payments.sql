select 1 as id, 'paid' as status, 10 as amount
