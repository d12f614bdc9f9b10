{#- Candis: one row per successful posting of an export (an invoice, card transaction or reimbursement
    item as Candis exported it), with its split postings kept as JSON for stg_candis__posting_lines. -#}
{%- set cols = journal.raw_columns('candis', 'postings') -%}
{%- set export_cols = journal.raw_columns('candis', 'exports') -%}
{%- set currency, total = journal.document_total(cols, 'amount.currencyCode', 'amount.valueMinor', 'amount.value') -%}
with src as (
  {{ journal.latest_rows('candis', 'postings', ['id']) }}
)
{%- if export_cols %},
{{ journal.exports_cte('candis', export_cols) }}
{%- endif %},
{{ journal.files_cte('candis') }}
select
  {{ journal.candis_document_keys(cols) }},
  {{ journal.text(cols, 'type') }} as posting_type,
  {{ journal.first_text(cols, ['documentType', 'reimbursementType', 'type']) }} as document_type,
  {{ journal.text(cols, 'invoiceId') }} as document_number,
  {{ journal.text(cols, 'status') }} as document_status,
  {{ journal.to_date(journal.field(cols, 'invoiceDate')) }} as document_date,
  {{ journal.to_date(journal.field(cols, 'invoiceDate')) }} as booking_date,
  {{ journal.to_date(journal.field(cols, 'dueDate')) }} as due_date,
  {{ journal.first_text(cols, ['contact.name', 'employee.name']) }} as counterparty_name,
  {{ journal.first_text(cols, ['contact.accountsPayableNumber', 'contact.accountsReceivableNumber',
                               'employee.accountsPayableNumber']) }} as counterparty_number,
  {{ journal.text(cols, 'employee.name') }} as employee_name,
  {{ journal.first_text(cols, ['creditCardSettings.transitAccount', 'contact.accountsPayableNumber',
                               'contact.accountsReceivableNumber', 'employee.accountsPayableNumber']) }} as contra_account,
  {{ journal.text(cols, 'creditCardSettings.bookingAccount') }} as card_booking_account,
  {{ journal.total_columns(currency, total) }},
  {{ journal.first_text(cols, ['reason', 'reimbursementCase.title']) }} as description,
  {{ journal.text(cols, 'url') }} as source_url,
  {{ journal.text(cols, 'exportId') }} as export_id,
  {{ 'exports.exported_at' if export_cols else 'cast(null as timestamp)' }} as exported_at,
  {{ journal.document_tail('candis', 'postings', cols, 'splitPostings') }}
from src
{%- if export_cols %}
left join exports on exports.export_id = {{ journal.text(cols, 'exportId') }}
{%- endif %}
{{ journal.files_join(cols, 'id') }}
