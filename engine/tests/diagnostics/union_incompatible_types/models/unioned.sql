select current_date as d
union all
select true as d
