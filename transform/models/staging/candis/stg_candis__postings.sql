{#- Candis: one row per successful posting of an export (an invoice, card transaction or reimbursement
    item as Candis exported it), with its split postings kept as JSON for stg_candis__posting_lines. -#}
{%- set cols = journal.raw_columns('candis', 'postings') -%}
{%- set export_cols = journal.raw_columns('candis', 'exports') -%}
{%- set currency = journal.text(cols, 'amount.currencyCode') -%}
{%- set total = journal.money(minor=journal.field(cols, 'amount.valueMinor'),
                              decimal=journal.field(cols, 'amount.value'), currency=currency) -%}
with src as (
  {{ journal.latest_rows('candis', 'postings', ['id']) }}
)
{%- if export_cols %},
exports as (
  select {{ journal.text(export_cols, 'id') }} as export_id,
    {{ journal.to_timestamp(journal.field(export_cols, 'createdAt')) }} as exported_at
  from ({{ journal.latest_rows('candis', 'exports', ['id']) }}) as src
)
{%- endif %},
files as (
  {{ journal.files_of('candis') }}
)
select
  {{ journal.text(cols, 'id') }} as source_document_id,
  {{ journal.tenant(cols, ['organizationId'], fallback=journal.var_text('candis_organization_id')) }} as tenant,
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
  {{ currency }} as currency,
  {{ total[0] }} as total_amount,
  {{ total[1] }} as total_amount_minor,
  {{ journal.first_text(cols, ['reason', 'reimbursementCase.title']) }} as description,
  {{ journal.text(cols, 'url') }} as source_url,
  {{ journal.text(cols, 'exportId') }} as export_id,
  {{ 'exports.exported_at' if export_cols else 'cast(null as timestamp)' }} as exported_at,
  {{ journal.to_timestamp(journal.field(cols, '_sdc_batched_at')) }} as loaded_at,
  {{ journal.array_field('candis', 'postings', 'splitPostings') }} as lines_json,
  files.file_path,
  files.file_paths,
  files.file_count
from src
{%- if export_cols %}
left join exports on exports.export_id = {{ journal.text(cols, 'exportId') }}
{%- endif %}
left join files on files.owner_id = {{ journal.text(cols, 'id') }}
