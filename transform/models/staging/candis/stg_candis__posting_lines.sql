{#- Candis: one row per split posting (the booking lines of a posting). Amounts are gross, signed as Candis
    sends them (credit notes negative); splitPostings[].amountMinor, netAmountMinor and taxAmountMinor are
    the tap's exact integers. Candis's split postings carry no tax rate (only the booking key's tax code). -#}
{%- set amount = journal.line_money('amount') -%}
{%- set net = journal.line_money('netAmount') -%}
{%- set tax = journal.line_money('taxAmount') -%}
with lines as (
  {{ journal.json_elements(ref('stg_candis__postings'), 'lines_json', 'line', 'line_number') }}
)
select
  {%- set values = journal.document_line_values('candis', 'postings', journal.position_line_id(), {
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
