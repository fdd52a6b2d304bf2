{% set state_models = ['stg_source1_providers', 'stg_source2_providers', 'stg_source3_providers'] %}

{% for model in state_models %}
select
    {%- for column in provider_columns() %}
    {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from {{ ref(model) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
