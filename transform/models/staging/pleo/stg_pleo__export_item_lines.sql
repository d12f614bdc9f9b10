{#- Pleo: one row per accounting-entry line of an exported entry (account, tax code and rate, tags,
    gross line amount, net and tax), in the company's currency; the supplier's currency is the original. -#}
{%- set line = 'line' -%}
{%- set amount = journal.money(minor=journal.json_text(line, ['lineAmount', 'inWalletCurrency', 'valueMinor']),
                               decimal=journal.json_text(line, ['lineAmount', 'inWalletCurrency', 'valueMajor']), currency='currency') -%}
{%- set net = journal.money(minor=journal.json_text(line, ['netAmount', 'inWalletCurrency', 'valueMinor']),
                            decimal=journal.json_text(line, ['netAmount', 'inWalletCurrency', 'valueMajor']), currency='currency') -%}
{%- set tax = journal.money(minor=journal.json_text(line, ['tax', 'amount', 'inWalletCurrency', 'valueMinor']),
                            decimal=journal.json_text(line, ['tax', 'amount', 'inWalletCurrency', 'valueMajor']), currency='currency') -%}
{%- set original_currency = journal.json_text(line, ['lineAmount', 'inSupplierCurrency', 'currency']) -%}
{%- set original = journal.money(minor=journal.json_text(line, ['lineAmount', 'inSupplierCurrency', 'valueMinor']),
                                 decimal=journal.json_text(line, ['lineAmount', 'inSupplierCurrency', 'valueMajor']),
                                 currency=original_currency) -%}
with lines as (
  {{ journal.json_elements(ref('stg_pleo__export_items'), 'lines_json', 'line', 'line_number') }}
)
select
  {%- set line_id = "coalesce(" ~ journal.json_text(line, ['accountingEntryLineId']) ~ ", source_document_id || '#' || cast(line_number as " ~ dbt.type_string() ~ "))" -%}
  {%- set values = journal.document_line_values('pleo', 'export_items', line_id, {
      'account': journal.json_text(line, ['account', 'code']),
      'cost_center': 'team_code',
      'dimensions': journal.json_array_pairs(journal.json_text(line, ['tags']), 'groupCode', 'code'),
      'tax_code': journal.json_text(line, ['tax', 'code']),
      'tax_type': journal.json_text(line, ['tax', 'type']),
      'tax_rate': journal.decimal_from_text(journal.json_text(line, ['tax', 'rate']), journal.rate_type()) ~ ' * 100',
      'original_currency': original_currency,
      'original_amount': original[0],
      'original_amount_minor': original[1],
      'posting_text': 'description',
  }, missing=[], amount=amount, net=net, tax=tax) -%}
  {{ journal.select_columns(journal.line_columns(), values) }}
from lines
