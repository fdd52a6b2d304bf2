select 1 as fine
