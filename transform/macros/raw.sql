{#
  Reading the raw tables as the loaders wrote them, whatever their layout:

  * flattened (the taps' `flattening_enabled` with `flattening_max_depth: 1`, the `demo`, `dev` and `test`
    environments into DuckDB): first-level objects are columns `parent__child`, deeper objects and arrays
    are JSON text in those columns;
  * nested (no flattening, e.g. `prod` into PostgreSQL): one JSON (DuckDB) or JSONB (PostgreSQL) column per
    top-level object.

  `journal.field(cols, 'amount.valueMinor')` finds the longest flattened prefix that is a column of the
  table (`amount__valueminor`, else `amount`) and extracts the rest of the path from that column's JSON, so
  one model reads both layouts on both adapters. A path that is in neither is NULL: a field a tap does not
  (yet) send, such as a tenant column, simply reads as NULL.
#}

{% macro providers() %}
  {#- The providers the `providers` var switches on (a comma-separated string or a list). -#}
  {%- set value = journal.setting('providers') -%}
  {%- set items = value.split(',') if value is string else value -%}
  {{- return(items | map('trim') | map('lower') | reject('equalto', '') | list) -}}
{% endmacro %}


{% macro raw(provider, table) %}
  {#- The raw table as a dbt source (so the docs show the lineage). -#}
  {{- return(source(provider, table)) -}}
{% endmacro %}


{% macro raw_exists(provider, table) %}
  {#- Whether the raw table is there (and its provider switched on). True while parsing, so that every
      source and ref a model may use is in the graph; decided against the warehouse when the model runs. -#}
  {%- set relation = source(provider, table) -%}
  {%- if not execute -%}
    {{- return(true) -}}
  {%- endif -%}
  {%- if provider not in journal.providers() -%}
    {{- return(false) -}}
  {%- endif -%}
  {{- return(load_relation(relation) is not none) -}}
{% endmacro %}


{% macro provider_present(provider) %}
  {#- A provider is in the journal when the raw table its lines come from exists. -#}
  {%- set line_tables = {
      'candis': ['postings', 'reimbursement_items'],
      'pleo': ['export_items'],
      'ivesk': ['documents'],
      'findity': ['voucher_rows'],
  } -%}
  {%- for table in line_tables[provider] -%}
    {%- if journal.raw_exists(provider, table) -%}
      {{- return(true) -}}
    {%- endif -%}
  {%- endfor -%}
  {{- return(false) -}}
{% endmacro %}


{% macro raw_columns(provider, table) %}
  {#- {lower-case name: name as stored} of a raw table's columns; empty when it is not there. -#}
  {%- set columns = {} -%}
  {%- if execute and journal.raw_exists(provider, table) -%}
    {%- for column in adapter.get_columns_in_relation(source(provider, table)) -%}
      {%- do columns.update({column.name | lower: column.name}) -%}
    {%- endfor -%}
  {%- endif -%}
  {{- return(columns) -}}
{% endmacro %}


{% macro resolve(cols, path) %}
  {#- (column as stored, [rest of the path inside its JSON]) for a dotted path, or none. -#}
  {%- set parts = path.split('.') -%}
  {%- for cut in range(parts | length, 0, -1) -%}
    {%- set name = (parts[:cut] | join('__')) | lower -%}
    {%- if name in cols -%}
      {{- return((cols[name], parts[cut:])) -}}
    {%- endif -%}
  {%- endfor -%}
  {{- return(none) -}}
{% endmacro %}


{% macro has_field(cols, path) %}
  {{- return(journal.resolve(cols, path) is not none) -}}
{% endmacro %}


{% macro field(cols, path, alias='src') %}
  {#- The value at a dotted path of the raw row `alias`: the column itself (its stored type) when the path
      is a whole column, else the text at the path inside the column's JSON; NULL text when absent. -#}
  {%- set found = journal.resolve(cols, path) -%}
  {%- if found is none -%}
    {{- return('cast(null as ' ~ dbt.type_string() ~ ')') -}}
  {%- endif -%}
  {%- set column = alias ~ '.' ~ adapter.quote(found[0]) -%}
  {%- if found[1] | length == 0 -%}
    {{- return(column) -}}
  {%- endif -%}
  {{- return(journal.json_text(column, found[1])) -}}
{% endmacro %}


{% macro array_field(provider, table, path, alias='src') %}
  {#- A top-level array column as JSON the adapter can take apart (journal.json_elements): JSON text on
      DuckDB; JSONB on PostgreSQL, where target-postgres writes arrays as jsonb[] (nested objects as jsonb). -#}
  {%- set cols = journal.raw_columns(provider, table) -%}
  {%- set found = journal.resolve(cols, path) -%}
  {%- if found is none or found[1] | length > 0 -%}
    {{- return(journal.field(cols, path, alias)) -}}
  {%- endif -%}
  {%- set column = alias ~ '.' ~ adapter.quote(found[0]) -%}
  {%- if target.type != 'postgres' -%}
    {{- return(journal.as_text(column)) -}}
  {%- endif -%}
  {%- set dtype = [] -%}
  {%- for c in adapter.get_columns_in_relation(journal.raw(provider, table)) if c.name == found[0] -%}
    {%- do dtype.append(c.dtype | lower) -%}
  {%- endfor -%}
  {%- if dtype and dtype[0] in ('text', 'character varying', 'varchar', 'json') -%}
    {{- return('cast(' ~ column ~ ' as jsonb)') -}}
  {%- endif -%}
  {{- return('to_jsonb(' ~ column ~ ')') -}}
{% endmacro %}


{% macro text(cols, path, alias='src') %}
  {#- A field as text (NULL when absent). -#}
  {{- return(journal.as_text(journal.field(cols, path, alias))) -}}
{% endmacro %}


{% macro first_text(cols, paths, alias='src', fallback=none) %}
  {#- The first of several fields that is not NULL, as text, else `fallback` (SQL), else NULL. -#}
  {%- set present = [] -%}
  {%- for path in paths if journal.has_field(cols, path) -%}
    {%- do present.append(journal.text(cols, path, alias)) -%}
  {%- endfor -%}
  {%- if fallback is not none -%}
    {%- do present.append(fallback) -%}
  {%- endif -%}
  {%- if present | length == 0 -%}
    {{- return('cast(null as ' ~ dbt.type_string() ~ ')') -}}
  {%- endif -%}
  {{- return('coalesce(' ~ present | join(', ') ~ ')' if present | length > 1 else present[0]) -}}
{% endmacro %}


{% macro latest_rows(provider, table, keys) %}
  {#- The raw table's live rows, one per primary key (the one loaded last): rows a target soft-deleted
      (`_sdc_deleted_at`) are left out; upserting targets keep one row per key anyway, this also holds for
      a table that was appended to. -#}
  {%- set cols = journal.raw_columns(provider, table) -%}
  {%- set partition = [] -%}
  {%- for key in keys -%}
    {%- do partition.append(journal.field(cols, key, 'raw_row')) -%}
  {%- endfor -%}
  {%- set order = journal.field(cols, '_sdc_batched_at', 'raw_row') if '_sdc_batched_at' in cols else '1' -%}
  select ranked.* from (
    select raw_row.*,
      row_number() over (partition by {{ partition | join(', ') }} order by {{ order }} desc) as journal_row_rank
    from {{ journal.raw(provider, table) }} as raw_row
    {%- if '_sdc_deleted_at' in cols %}
    where raw_row.{{ adapter.quote(cols['_sdc_deleted_at']) }} is null
    {%- endif %}
  ) as ranked
  where ranked.journal_row_rank = 1
{% endmacro %}


{% macro tenant(cols, paths, fallback=none, alias='src') %}
  {#- The record's tenant column when the raw table has it, else `fallback` (SQL), else NULL. -#}
  {{- return(journal.first_text(cols, paths, alias, fallback)) -}}
{% endmacro %}


{% macro var_text(name) %}
  {#- A string var as a SQL literal, NULL when empty. -#}
  {%- set value = journal.setting(name) -%}
  {%- if value is none or (value | string | trim) == '' -%}
    {{- return('cast(null as ' ~ dbt.type_string() ~ ')') -}}
  {%- endif -%}
  {{- return(dbt.string_literal(value | string | trim)) -}}
{% endmacro %}
