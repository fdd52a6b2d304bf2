select
    1 as id,
    array(1, 2) as path
