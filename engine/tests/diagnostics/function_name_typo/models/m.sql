select
    nvll(null, 1) as x
