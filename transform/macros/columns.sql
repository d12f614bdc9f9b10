{#
  The columns every provider's staging model gives, in one order with one type, so that the marts are a
  plain UNION ALL. Each staging model passes a {column: SQL} dict to `journal.select_columns`; a column it
  does not name is NULL (the provider does not have it). Described in models/marts/marts.yml.
#}

{% macro line_columns() %}
  {%- set s = dbt.type_string() -%}
  {{- return([
      ('journal_line_id', s), ('journal_document_id', s), ('provider', s), ('tenant', s), ('source_relation', s),
      ('source_document_id', s), ('source_line_id', s), ('line_number', 'integer'),
      ('document_type', s), ('document_number', s), ('document_status', s),
      ('booking_date', 'date'), ('document_date', 'date'),
      ('counterparty_name', s), ('counterparty_number', s), ('counterparty_vat_id', s), ('employee_name', s),
      ('account', s), ('contra_account', s), ('cost_center', s), ('cost_object', s), ('dimensions', s),
      ('tax_code', s), ('tax_rate', journal.rate_type()), ('tax_type', s),
      ('currency', s), ('amount', journal.amount_type()), ('amount_minor', journal.minor_type()),
      ('net_amount', journal.amount_type()), ('net_amount_minor', journal.minor_type()),
      ('tax_amount', journal.amount_type()), ('tax_amount_minor', journal.minor_type()),
      ('side', s),
      ('original_currency', s), ('original_amount', journal.amount_type()),
      ('original_amount_minor', journal.minor_type()),
      ('posting_text', s), ('source_url', s), ('file_path', s), ('export_id', s),
      ('exported_at', 'timestamp'), ('loaded_at', 'timestamp'),
  ]) -}}
{% endmacro %}


{% macro document_columns() %}
  {%- set s = dbt.type_string() -%}
  {{- return([
      ('journal_document_id', s), ('provider', s), ('tenant', s), ('source_relation', s),
      ('source_document_id', s), ('document_type', s), ('document_number', s), ('document_status', s),
      ('booking_date', 'date'), ('document_date', 'date'), ('due_date', 'date'),
      ('counterparty_name', s), ('counterparty_number', s), ('counterparty_vat_id', s), ('employee_name', s),
      ('currency', s), ('total_amount', journal.amount_type()), ('total_amount_minor', journal.minor_type()),
      ('net_amount', journal.amount_type()), ('net_amount_minor', journal.minor_type()),
      ('tax_amount', journal.amount_type()), ('tax_amount_minor', journal.minor_type()),
      ('description', s), ('source_url', s), ('export_id', s),
      ('exported_at', 'timestamp'), ('loaded_at', 'timestamp'),
  ]) -}}
{% endmacro %}


{% macro select_columns(columns, values) %}
  {%- for name, type in columns %}
    cast({{ values.get(name) if values.get(name) is not none else 'null' }} as {{ type }}) as {{ name }}
    {%- if not loop.last %},{% endif %}
  {%- endfor %}
{% endmacro %}


{% macro document_line_values(provider, table, source_line_id, values, missing=[], amount=none, net=none, tax=none) %}
  {#- The {column: SQL} of a line taken from an array of its document (a staging model of documents with
      `lines_json`, unnested by journal.json_elements): the keys, the columns the line inherits from its
      document (but `missing`, which the document model does not have), the money and `values`. -#}
  {%- set inherited = ['tenant', 'source_document_id', 'line_number', 'document_type', 'document_number',
      'document_status', 'booking_date', 'document_date', 'counterparty_name', 'counterparty_number',
      'counterparty_vat_id', 'employee_name', 'contra_account', 'currency', 'source_url', 'file_path',
      'export_id', 'exported_at', 'loaded_at'] -%}
  {%- set result = {
      'journal_line_id': journal.line_id(provider, table, source_line_id),
      'journal_document_id': journal.document_id(provider, table, 'source_document_id'),
      'provider': "'" ~ provider ~ "'",
      'source_relation': journal.source_relation(provider, table),
      'source_line_id': source_line_id,
  } -%}
  {%- for name in inherited if name not in missing -%}
    {%- do result.update({name: name}) -%}
  {%- endfor -%}
  {%- for prefix, money in [('amount', amount), ('net_amount', net), ('tax_amount', tax)] if money is not none -%}
    {%- do journal.money_values(result, prefix, money) -%}
  {%- endfor -%}
  {%- if amount is not none -%}
    {%- do result.update({'side': journal.side(amount[1])}) -%}
  {%- endif -%}
  {%- do result.update(values) -%}
  {{- return(result) -}}
{% endmacro %}


{% macro money_values(values, prefix, money) %}
  {#- Put an (amount, amount_minor) pair from journal.money under `<prefix>` and `<prefix>_minor`. -#}
  {%- do values.update({prefix: money[0], prefix ~ '_minor': money[1]}) -%}
  {{- return(values) -}}
{% endmacro %}


{% macro side(amount_minor) %}
  {#- The journal's sign convention: debit (expense, asset, input VAT) positive, credit negative. -#}
  case when {{ amount_minor }} < 0 then 'credit' else 'debit' end
{% endmacro %}


{% macro source_relation(provider, table) %}
  {#- 'schema.table' of a raw table, as a SQL literal (the journal's `source_relation`). -#}
  {{- return(dbt.string_literal(journal.setting(provider ~ '_schema') ~ '.' ~ table)) -}}
{% endmacro %}


{% macro document_id(provider, table, source_document_id) %}
  {#- The journal's key of a source document: '<provider>:<raw table>:<the provider's id>'. -#}
  {{- return("'" ~ provider ~ ":" ~ table ~ ":' || " ~ source_document_id) -}}
{% endmacro %}


{% macro line_id(provider, table, source_line_id) %}
  {#- The journal's key of a line: '<provider>:<raw table>:<source_line_id>'. -#}
  {{- return("'" ~ provider ~ ":" ~ table ~ ":' || " ~ source_line_id) -}}
{% endmacro %}


{% macro files_of(provider, owner_key='ownerid') %}
  {#- One row per owner record with its stored attachments (the taps' `files` stream, when `files_dir` was
      set): the first stored path (the invoice itself where the provider says which file that is), every
      path, and how many. Empty when the provider's `files` table is not there. -#}
  {%- set cols = journal.raw_columns(provider, 'files') -%}
  {%- if cols | length == 0 -%}
    select cast(null as {{ dbt.type_string() }}) as owner_id, cast(null as {{ dbt.type_string() }}) as file_path,
      cast(null as {{ dbt.type_string() }}) as file_paths, cast(0 as integer) as file_count
    where 1 = 0
  {%- else -%}
    {%- set rank = "case when " ~ journal.text(cols, 'type') ~ " = 'INVOICE' then 0 else 1 end"
        if journal.has_field(cols, 'type') else '0' -%}
    select owner_id,
      max(case when file_rank = 1 then path end) as file_path,
      string_agg(path, ' | ' order by path) as file_paths,
      cast(count(*) as integer) as file_count
    from (
      select {{ journal.text(cols, 'ownerId') }} as owner_id, {{ journal.text(cols, 'path') }} as path,
        row_number() over (partition by {{ journal.text(cols, 'ownerId') }}
          order by {{ rank }}, {{ journal.text(cols, 'path') }}) as file_rank
      from ({{ journal.latest_rows(provider, 'files', ['id']) }}) as src
    ) as stored
    group by owner_id
  {%- endif -%}
{% endmacro %}
