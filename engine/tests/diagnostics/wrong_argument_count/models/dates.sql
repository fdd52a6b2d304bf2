select
    1 as id,
    dateadd(day, current_date) as tomorrow
