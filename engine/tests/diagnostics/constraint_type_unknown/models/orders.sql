{{ config(contract={'enforced': true}) }}
select 1::int as order_id
