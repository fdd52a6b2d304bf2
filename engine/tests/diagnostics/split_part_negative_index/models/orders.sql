select
    'a,b' as pair,
    split_part(pair, ',', -1) as last_part
