select
    1 as id,
    farmfingerprint64('lead') as fingerprint
