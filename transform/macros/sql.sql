{#
  The few SQL expressions DuckDB and PostgreSQL spell differently (adapter.dispatch), and exact money.

  Money is never a float here. On DuckDB an amount is built from the integer minor units the taps add
  beside every amount (`valueMinor`, `amountMinor`, `totalMinor`, ...), because target-duckdb stores JSON
  numbers as DOUBLE; on PostgreSQL from the provider's own decimal (NUMERIC or JSONB: exact). Both are cast
  to DECIMAL(28, 4), which holds every ISO 4217 exponent (0 to 4); decimals are only ever parsed from
  their text or multiplied by a decimal power of ten, never divided or passed through a DOUBLE.
#}

{% macro amount_type() %}{{ return('decimal(28, 4)') }}{% endmacro %}
{% macro minor_type() %}{{ return('bigint') }}{% endmacro %}
{% macro rate_type() %}{{ return('decimal(9, 4)') }}{% endmacro %}


{% macro json_text(column, path) %}
  {{- return(adapter.dispatch('json_text', 'journal')(column, path)) -}}
{% endmacro %}

{% macro default__json_text(column, path) %}
  {#- DuckDB: the text at a JSON path (strings unquoted, numbers as written, objects as JSON). -#}
  {%- set steps = [] -%}
  {%- for part in path -%}{%- do steps.append('"' ~ part ~ '"') -%}{%- endfor -%}
  {{- return("json_extract_string(" ~ column ~ ", '$." ~ steps | join('.') ~ "')") -}}
{% endmacro %}

{% macro postgres__json_text(column, path) %}
  {#- PostgreSQL: a nested column is JSONB; a flattened one deeper than the flattening depth is JSON text. -#}
  {{- return("(cast(" ~ column ~ " as jsonb) #>> '{" ~ path | join(',') ~ "}')") -}}
{% endmacro %}


{% macro as_text(expression) %}
  {{- return('cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')') -}}
{% endmacro %}


{% macro json_elements(relation, array_column, element='element', ordinal='element_number') %}
  {{- return(adapter.dispatch('json_elements', 'journal')(relation, array_column, element, ordinal)) -}}
{% endmacro %}

{% macro default__json_elements(relation, array_column, element, ordinal) %}
  {#- DuckDB: one row per element of a JSON array column of `relation` (all its columns kept), with the
      element (JSON) and its 1-based position; a NULL or empty array gives no row. -#}
  select parent.*,
    unnest(cast(parent.{{ array_column }} as json[])) as {{ element }},
    unnest(generate_series(1, cast(json_array_length(parent.{{ array_column }}) as bigint))) as {{ ordinal }}
  from {{ relation }} as parent
{% endmacro %}

{% macro postgres__json_elements(relation, array_column, element, ordinal) %}
  select parent.*, elements.{{ element }}, elements.{{ ordinal }}
  from {{ relation }} as parent
  cross join lateral jsonb_array_elements(
    case when jsonb_typeof(cast(parent.{{ array_column }} as jsonb)) = 'array'
      then cast(parent.{{ array_column }} as jsonb) else cast('[]' as jsonb) end
  ) with ordinality as elements({{ element }}, {{ ordinal }})
{% endmacro %}


{% macro json_array_pairs(array_expression, key_field, value_field) %}
  {{- return(adapter.dispatch('json_array_pairs', 'journal')(array_expression, key_field, value_field)) -}}
{% endmacro %}

{% macro default__json_array_pairs(array_expression, key_field, value_field) %}
  {#- 'key=value; key=value' of the objects of a JSON array (e.g. Pleo's tags: groupCode=code). -#}
  {{- return("(select string_agg(json_extract_string(pair, '$." ~ key_field ~ "') || '=' || "
      ~ "json_extract_string(pair, '$." ~ value_field ~ "'), '; ') from (select unnest(cast("
      ~ array_expression ~ " as json[])) as pair) as pairs)") -}}
{% endmacro %}

{% macro postgres__json_array_pairs(array_expression, key_field, value_field) %}
  {{- return("(select string_agg((pair ->> '" ~ key_field ~ "') || '=' || (pair ->> '" ~ value_field
      ~ "'), '; ') from jsonb_array_elements(case when jsonb_typeof(cast(" ~ array_expression
      ~ " as jsonb)) = 'array' then cast(" ~ array_expression ~ " as jsonb) else cast('[]' as jsonb) end)"
      ~ " as pairs(pair))") -}}
{% endmacro %}


{% macro currency_exponent(currency) %}
  {#- ISO 4217 minor-unit digits (the exponents that are not 2; seeds/iso_4217_currencies.csv agrees,
      which a test checks). -#}
  case upper({{ currency }})
    when 'BIF' then 0 when 'CLP' then 0 when 'DJF' then 0 when 'GNF' then 0 when 'ISK' then 0
    when 'JPY' then 0 when 'KMF' then 0 when 'KRW' then 0 when 'PYG' then 0 when 'RWF' then 0
    when 'UGX' then 0 when 'UYI' then 0 when 'VND' then 0 when 'VUV' then 0 when 'XAF' then 0
    when 'XOF' then 0 when 'XPF' then 0
    when 'BHD' then 3 when 'IQD' then 3 when 'JOD' then 3 when 'KWD' then 3 when 'LYD' then 3
    when 'OMR' then 3 when 'TND' then 3
    when 'CLF' then 4 when 'UYW' then 4
    else 2
  end
{% endmacro %}


{% macro minor_to_amount(minor, currency) %}
  {#- Integer minor units -> exact decimal in major units: the integer times 10^-exponent (a decimal
      literal, so the product is a DECIMAL on both adapters; DuckDB would make a quotient a DOUBLE). -#}
  cast(
    case {{ journal.currency_exponent(currency) }}
      when 0 then cast({{ minor }} as decimal(18, 0))
      when 1 then cast({{ minor }} as decimal(18, 0)) * 0.1
      when 3 then cast({{ minor }} as decimal(18, 0)) * 0.001
      when 4 then cast({{ minor }} as decimal(18, 0)) * 0.0001
      else cast({{ minor }} as decimal(18, 0)) * 0.01
    end as {{ journal.amount_type() }})
{% endmacro %}


{% macro amount_to_minor(amount, currency) %}
  {#- Exact decimal in major units -> integer minor units (the test `amount_matches_minor` checks that
      nothing is cut off). -#}
  cast(
    case {{ journal.currency_exponent(currency) }}
      when 0 then cast({{ amount }} as {{ journal.amount_type() }})
      when 1 then cast({{ amount }} as {{ journal.amount_type() }}) * 10
      when 3 then cast({{ amount }} as {{ journal.amount_type() }}) * 1000
      when 4 then cast({{ amount }} as {{ journal.amount_type() }}) * 10000
      else cast({{ amount }} as {{ journal.amount_type() }}) * 100
    end as {{ journal.minor_type() }})
{% endmacro %}


{% macro decimal_from_text(expression, type=none) %}
  {#- A decimal parsed from its text: a NUMERIC or JSONB number (PostgreSQL, exact) or the JSON text of a
      number. -#}
  {{- return('cast(' ~ journal.as_text(expression) ~ ' as ' ~ (type or journal.amount_type()) ~ ')') -}}
{% endmacro %}


{% macro money(minor=none, decimal=none, currency='currency', sign=none) %}
  {#- (amount, amount_minor) SQL of one amount, exact on both adapters:
      DuckDB: from the integer minor units (`minor`), or, where a tap adds none, from the decimal's text;
      PostgreSQL: from the provider's decimal (`decimal`), or from the minor units where there is none.
      `sign` (SQL, +1/-1) turns the provider's sign into the journal's. -#}
  {%- set use_decimal = decimal is not none and (target.type == 'postgres' or minor is none) -%}
  {%- if use_decimal -%}
    {%- set amount = journal.decimal_from_text(decimal) -%}
    {%- set amount_minor = minor and ('cast(' ~ journal.as_text(minor) ~ ' as ' ~ journal.minor_type() ~ ')')
        or journal.amount_to_minor(amount, currency) -%}
  {%- elif minor is not none -%}
    {%- set amount_minor = 'cast(' ~ journal.as_text(minor) ~ ' as ' ~ journal.minor_type() ~ ')' -%}
    {%- set amount = journal.minor_to_amount(amount_minor, currency) -%}
  {%- else -%}
    {%- set amount = 'cast(null as ' ~ journal.amount_type() ~ ')' -%}
    {%- set amount_minor = 'cast(null as ' ~ journal.minor_type() ~ ')' -%}
  {%- endif -%}
  {%- if sign is not none -%}
    {%- set amount = '(' ~ amount ~ ') * (' ~ sign ~ ')' -%}
    {%- set amount_minor = '(' ~ amount_minor ~ ') * (' ~ sign ~ ')' -%}
  {%- endif -%}
  {{- return((amount, amount_minor)) -}}
{% endmacro %}


{% macro to_date(expression) %}
  {#- A date from a DATE/TIMESTAMP column or ISO 8601 text (its first 10 characters: the UTC date the
      provider wrote). -#}
  {{- return('cast(substring(' ~ journal.as_text(expression) ~ ', 1, 10) as date)') -}}
{% endmacro %}


{% macro to_timestamp(expression) %}
  {{- return(adapter.dispatch('to_timestamp', 'journal')(expression)) -}}
{% endmacro %}

{% macro default__to_timestamp(expression) %}
  {#- DuckDB: UTC timestamp from a TIMESTAMP column or ISO 8601 text with an offset. -#}
  {{- return('cast(' ~ journal.as_text(expression) ~ ' as timestamp)') -}}
{% endmacro %}

{% macro postgres__to_timestamp(expression) %}
  {#- PostgreSQL: text with an offset (ISO 8601 `Z`, `+02:00`, or a timestamptz's `+00`) is converted to
      UTC; a timestamp without one is UTC already (whatever the session's TimeZone). -#}
  {%- set value = journal.as_text(expression) -%}
  {{- return("(case when " ~ value ~ " ~ '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' then cast(cast(" ~ value
      ~ " as timestamptz) at time zone 'UTC' as timestamp) else cast(" ~ value ~ " as timestamp) end)") -}}
{% endmacro %}
