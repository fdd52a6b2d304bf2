select 1 as id, 'y' as label
