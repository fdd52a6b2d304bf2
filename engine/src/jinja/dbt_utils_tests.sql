{% macro test_expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
{% if column_name is none -%}
where not({{ expression }})
{%- else -%}
where not({{ column_name }} {{ expression }})
{%- endif %}
{% endmacro %}

{% macro test_unique_combination_of_columns(model, combination_of_columns, quote_columns=false) %}
{%- set columns_csv = combination_of_columns | join(', ') -%}
with validation_errors as (
    select {{ columns_csv }}
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
)
select * from validation_errors
{% endmacro %}

{% macro test_accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
with meet_condition as (
    select * from {{ model }}
),
validation_errors as (
    select *
    from meet_condition
    where 1 = 2
    {%- if min_value is not none %}
      or not {{ column_name }} >{{- "=" if inclusive }} {{ min_value }}
    {%- endif %}
    {%- if max_value is not none %}
      or not {{ column_name }} <{{- "=" if inclusive }} {{ max_value }}
    {%- endif %}
)
select * from validation_errors
{% endmacro %}

{% macro test_not_constant(model, column_name) %}
select count(distinct {{ column_name }}) as filler_column
from {{ model }}
having count(distinct {{ column_name }}) = 1
{% endmacro %}
