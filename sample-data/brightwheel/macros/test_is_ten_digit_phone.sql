{% test is_ten_digit_phone(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and regexp_count({{ column_name }}, '[0-9]') <> 10
{% endtest %}
