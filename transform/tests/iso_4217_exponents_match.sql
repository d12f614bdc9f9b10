-- The ISO 4217 exponents the models convert minor units with agree with the seed of ISO 4217 codes.
select code, minor_unit
from {{ ref('iso_4217_currencies') }}
where minor_unit <> {{ journal.currency_exponent('code') }}
