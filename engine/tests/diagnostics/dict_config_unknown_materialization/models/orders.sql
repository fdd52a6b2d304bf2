{{ config({'schema': 'marts', 'materialized': 'tabel'}) }}
select 1 as id
