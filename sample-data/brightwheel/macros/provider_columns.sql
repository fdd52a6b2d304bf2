{#- The standard provider schema every state file is staged into. -#}
{% macro provider_columns() %}
    {{ return([
        'source', 'provider_id', 'company', 'licensee_name', 'first_name', 'last_name', 'title',
        'operator', 'address1', 'address2', 'city', 'state', 'zip', 'county', 'phone', 'phone2',
        'email', 'website_address', 'license_number', 'license_type', 'license_status',
        'license_issued', 'license_renewed', 'certificate_expiration_date', 'facility_type',
        'capacity', 'ages_served', 'min_age', 'max_age', 'accepts_financial_aid',
        'curriculum_type', 'language', 'schedule', 'phone_digits', 'address_key', 'lead_key',
        'loaded_at'
    ]) }}
{% endmacro %}
