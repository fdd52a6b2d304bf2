select {{ require_positive(0) }} as n
