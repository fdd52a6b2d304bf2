select
    current_date * 2 as doubled
