{% set statuses = run_query('select distinct status from orders') %}
select 1 as id
