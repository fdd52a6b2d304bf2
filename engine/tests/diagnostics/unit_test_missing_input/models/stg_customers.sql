select 10 as customer_id, 'Ada' as name
