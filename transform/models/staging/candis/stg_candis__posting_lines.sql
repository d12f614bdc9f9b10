{#- Candis: one row per split posting (the booking lines of a posting). Amounts are gross, signed as Candis
    sends them (credit notes negative); splitPostings[].amountMinor, netAmountMinor and taxAmountMinor are
    the tap's exact integers. Candis's split postings carry no tax rate (only the booking key's tax code). -#}
{%- set amount = journal.money(minor=journal.json_text('line', ['amountMinor']),
                               decimal=journal.json_text('line', ['amount']), currency='currency') -%}
{%- set net = journal.money(minor=journal.json_text('line', ['netAmountMinor']),
                            decimal=journal.json_text('line', ['netAmount']), currency='currency') -%}
{%- set tax = journal.money(minor=journal.json_text('line', ['taxAmountMinor']),
                            decimal=journal.json_text('line', ['taxAmount']), currency='currency') -%}
with lines as (
  {{ journal.json_elements(ref('stg_candis__postings'), 'lines_json', 'line', 'line_number') }}
)
select
  {%- set values = journal.document_line_values('candis', 'postings', "source_document_id || '#' || cast(line_number as " ~ dbt.type_string() ~ ")", {
      'account': journal.json_text('line', ['generalLedgerAccount']),
      'cost_center': journal.json_text('line', ['costCenter', 'code']),
      'cost_object': journal.json_text('line', ['costObject', 'code']),
      'dimensions': "nullif(concat_ws('; ', 'customCostDimension=' || " ~ journal.json_text('line', ['customCostDimension', 'code'])
          ~ ", 'type=' || " ~ journal.json_text('line', ['type']) ~ "), '')",
      'tax_code': journal.json_text('line', ['bookingKey', 'taxCode']),
      'posting_text': "coalesce(" ~ journal.json_text('line', ['postingText']) ~ ", " ~ journal.json_text('line', ['note']) ~ ")",
  }, missing=['counterparty_vat_id'], amount=amount, net=net, tax=tax) -%}
  {{ journal.select_columns(journal.line_columns(), values) }}
from lines
