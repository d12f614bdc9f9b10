{#
  The pieces the staging models of documents (and of their lines) share: the document's money, the files
  and export CTEs, the closing columns, and the money of a line read from its JSON element.
#}

{% macro document_total(cols, currency_path, minor_path, decimal_path) %}
  {#- [currency SQL, (total_amount, total_amount_minor)] of a raw document row. -#}
  {%- set currency = journal.text(cols, currency_path) -%}
  {{- return([currency, journal.money(minor=journal.field(cols, minor_path),
                                      decimal=journal.field(cols, decimal_path), currency=currency)]) -}}
{% endmacro %}


{% macro files_cte(provider) -%}
files as (
  {{ journal.files_of(provider) }}
)
{%- endmacro %}


{% macro exports_cte(provider, export_cols, extra={}) -%}
exports as (
  select {{ journal.text(export_cols, 'id') }} as export_id,
  {%- for name, path in extra.items() %}
    {{ journal.text(export_cols, path) }} as {{ name }},
  {%- endfor %}
    {{ journal.to_timestamp(journal.field(export_cols, 'createdAt')) }} as exported_at
  from ({{ journal.latest_rows(provider, 'exports', ['id']) }}) as src
)
{%- endmacro %}


{% macro document_tail(provider, table, cols, lines_path=none) -%}
  {#- The closing columns of a document model: loaded_at, lines_json (when it has lines), the files. -#}
  {{ journal.to_timestamp(journal.field(cols, '_sdc_batched_at')) }} as loaded_at,
  {%- if lines_path is not none %}
  {{ journal.array_field(provider, table, lines_path) }} as lines_json,
  {%- endif %}
  files.file_path,
  files.file_paths,
  files.file_count
{%- endmacro %}


{% macro files_join(cols, id_path) -%}
left join files on files.owner_id = {{ journal.text(cols, id_path) }}
{%- endmacro %}


{% macro line_money(name, line='line', currency='currency') %}
  {#- (amount, amount_minor) of the line element's `<name>` / `<name>Minor`. -#}
  {{- return(journal.money(minor=journal.json_text(line, [name ~ 'Minor']),
                           decimal=journal.json_text(line, [name]), currency=currency)) -}}
{% endmacro %}


{% macro position_line_id() %}
  {#- '<source_document_id>#<position>' of a line unnested with its `line_number`. -#}
  {{- return("source_document_id || '#' || cast(line_number as " ~ dbt.type_string() ~ ")") -}}
{% endmacro %}


{% macro total_columns(currency, total) -%}
  {#- The currency and total columns of a document model, from journal.document_total. -#}
  {{ currency }} as currency,
  {{ total[0] }} as total_amount,
  {{ total[1] }} as total_amount_minor
{%- endmacro %}


{% macro candis_document_keys(cols) -%}
  {#- source_document_id and tenant of a Candis record (tenant: organizationId, else the setting). -#}
  {{ journal.text(cols, 'id') }} as source_document_id,
  {{ journal.tenant(cols, ['organizationId'], fallback=journal.var_text('candis_organization_id')) }} as tenant
{%- endmacro %}
