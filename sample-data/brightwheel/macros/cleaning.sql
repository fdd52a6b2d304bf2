{% macro digits_only(column) -%}
    regexp_replace({{ column }}, '[^0-9]', '')
{%- endmacro %}

{#- Street addresses compare equal whatever the case, spacing and compass point. -#}
{% macro normalize_address(column) -%}
    upper(trim(regexp_replace(regexp_replace({{ column }}, ' (N|S|E|W) ', ' '), ' +', ' ')))
{%- endmacro %}

{#- A lead is a phone at an address: the same key in every source. -#}
{% macro lead_key(phone_digits, address_key) -%}
    {{ dbt_utils.generate_surrogate_key([phone_digits, address_key]) }}
{%- endmacro %}
