select
    split_part('a-b', '-') as first_part
