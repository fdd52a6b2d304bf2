-- Providers that share a phone (checked first) or an address (second) with another provider.
with providers as (
    select * from {{ ref('int_providers_unioned') }}
),

phone_groups as (
    select
        phone_digits,
        count(*) as providers_on_phone,
        count(distinct address_key) as addresses_on_phone
    from providers
    group by phone_digits
    having count(*) > 1
),

address_groups as (
    select address_key, zip, count(*) as providers_at_address
    from providers
    group by address_key, zip
    having count(*) > 1
)

select
    providers.source,
    providers.provider_id,
    providers.company,
    providers.phone_digits,
    providers.address_key,
    providers.city,
    providers.state,
    case when phone_groups.phone_digits is not null then 'phone' else 'address' end as duplicate_on,
    nvl(phone_groups.providers_on_phone, 1) as providers_on_phone,
    nvl(phone_groups.addresses_on_phone, 1) as addresses_on_phone,
    nvl(address_groups.providers_at_address, 1) as providers_at_address
from providers
left join phone_groups on phone_groups.phone_digits = providers.phone_digits
left join address_groups
    on address_groups.address_key = providers.address_key
    and address_groups.zip = providers.zip
where phone_groups.phone_digits is not null
   or address_groups.address_key is not null
