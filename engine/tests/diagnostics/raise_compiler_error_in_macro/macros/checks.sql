{% macro require_positive(n) %}
  {% if n <= 0 %}
    {{ exceptions.raise_compiler_error('n must be positive, got ' ~ n) }}
  {% endif %}
  {{ n }}
{% endmacro %}
