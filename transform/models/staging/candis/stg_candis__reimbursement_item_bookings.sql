{#- Candis: one row per booking of a reimbursement item (bookings[]: GL account, cost center/object,
    booking key, VAT rate, amount). Bookings carry a VAT rate but no net or tax amount. -#}
{%- set amount = journal.line_money('amount') -%}
with lines as (
  {{ journal.json_elements(ref('stg_candis__reimbursement_items'), 'lines_json', 'line', 'line_number') }}
)
select
  {%- set values = journal.document_line_values('candis', 'reimbursement_items', journal.position_line_id(), {
      'account': journal.json_text('line', ['generalLedgerAccount', 'accountCode']),
      'contra_account': 'counterparty_number',
      'cost_center': journal.json_text('line', ['costCenter', 'code']),
      'cost_object': journal.json_text('line', ['costObject', 'code']),
      'tax_code': journal.json_text('line', ['bookingKey', 'taxCode']),
      'tax_rate': journal.decimal_from_text(journal.json_text('line', ['vatRate']), journal.rate_type()),
      'posting_text': "coalesce(" ~ journal.json_text('line', ['postingText']) ~ ", " ~ journal.json_text('line', ['note']) ~ ", description)",
  }, missing=['counterparty_vat_id', 'contra_account', 'source_url', 'export_id', 'exported_at'], amount=amount) -%}
  {{ journal.select_columns(journal.line_columns(), values) }}
from lines
