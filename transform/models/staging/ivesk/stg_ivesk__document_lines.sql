{#- Įvesk: one row per document line: the line's allocation (GL account) and object, its VAT class and
    percent, and its gross (total), net (subtotal) and VAT, each with the tap's exact minor units. -#}
{%- set line = 'line' -%}
{%- set amount = journal.money(minor=journal.json_text(line, ['totalMinor']), decimal=journal.json_text(line, ['total']),
                               currency='currency', sign='journal_sign') -%}
{%- set net = journal.money(minor=journal.json_text(line, ['subtotalMinor']), decimal=journal.json_text(line, ['subtotal']),
                            currency='currency', sign='journal_sign') -%}
{%- set tax = journal.money(minor=journal.json_text(line, ['vatMinor']), decimal=journal.json_text(line, ['vat']),
                            currency='currency', sign='journal_sign') -%}
with lines as (
  {{ journal.json_elements(ref('stg_ivesk__documents'), 'lines_json', 'line', 'line_number') }}
)
select
  {%- set number = "coalesce(" ~ journal.json_text(line, ['lineid']) ~ ", cast(line_number as " ~ dbt.type_string() ~ "))" -%}
  {%- set values = journal.document_line_values('ivesk', 'documents', "source_document_id || '#' || " ~ number, {
      'account': journal.json_text(line, ['allocation']),
      'cost_object': journal.json_text(line, ['object']),
      'dimensions': "nullif(concat_ws('; ', 'warehouse=' || " ~ journal.json_text(line, ['warehouse'])
          ~ ", 'code=' || " ~ journal.json_text(line, ['code']) ~ "), '')",
      'tax_code': journal.json_text(line, ['vatclass']),
      'tax_rate': journal.decimal_from_text(journal.json_text(line, ['vatpercent']), journal.rate_type()),
      'posting_text': journal.json_text(line, ['name']),
  }, missing=['employee_name', 'contra_account', 'export_id'], amount=amount, net=net, tax=tax) -%}
  {{ journal.select_columns(journal.line_columns(), values) }}
from lines
