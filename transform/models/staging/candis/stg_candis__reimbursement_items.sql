{#- Candis: one row per reimbursement item (an employee's expense, mileage, per diem or hospitality),
    with its bookings kept as JSON for stg_candis__reimbursement_item_bookings. An item Candis has also
    exported as a posting (a posting of type REIMBURSEMENT_ITEM whose entityGuid is the item) is booked
    once, through the posting, and left out here. -#}
{%- set cols = journal.raw_columns('candis', 'reimbursement_items') -%}
{%- set posting_cols = journal.raw_columns('candis', 'postings') -%}
{%- set currency = journal.text(cols, 'totalAmount.currency') -%}
{#- amountMajor/amountMinor: the tap's exact values whatever shape Candis sent (amount may be minor units) -#}
{%- set total = journal.money(minor=journal.field(cols, 'totalAmount.amountMinor'),
                              decimal=journal.field(cols, 'totalAmount.amountMajor'), currency=currency) -%}
with src as (
  {{ journal.latest_rows('candis', 'reimbursement_items', ['id']) }}
)
{%- if posting_cols %},
posted as (
  select distinct {{ journal.text(posting_cols, 'entityGuid') }} as item_id
  from ({{ journal.latest_rows('candis', 'postings', ['id']) }}) as src
  where {{ journal.text(posting_cols, 'type') }} = 'REIMBURSEMENT_ITEM'
)
{%- endif %},
files as (
  {{ journal.files_of('candis') }}
)
select
  {{ journal.text(cols, 'id') }} as source_document_id,
  {{ journal.tenant(cols, ['organizationId'], fallback=journal.var_text('candis_organization_id')) }} as tenant,
  {{ journal.text(cols, 'type') }} as document_type,
  {{ journal.text(cols, 'invoiceNumber') }} as document_number,
  {{ journal.text(cols, 'status') }} as document_status,
  {{ journal.to_date(journal.field(cols, 'expenseDate')) }} as document_date,
  {{ journal.to_date(journal.field(cols, 'expenseDate')) }} as booking_date,
  cast(null as date) as due_date,
  {{ journal.text(cols, 'contact.name') }} as counterparty_name,
  {{ journal.text(cols, 'contact.accountsPayableNumber') }} as counterparty_number,
  {{ journal.text(cols, 'contact.name') }} as employee_name,
  {{ currency }} as currency,
  {{ total[0] }} as total_amount,
  {{ total[1] }} as total_amount_minor,
  coalesce({{ journal.text(cols, 'title') }}, {{ journal.text(cols, 'reimbursementCase.title') }}) as description,
  {{ journal.to_timestamp(journal.field(cols, '_sdc_batched_at')) }} as loaded_at,
  {{ journal.array_field('candis', 'reimbursement_items', 'bookings') }} as lines_json,
  files.file_path,
  files.file_paths,
  files.file_count
from src
left join files on files.owner_id = {{ journal.text(cols, 'id') }}
{%- if posting_cols %}
where {{ journal.text(cols, 'id') }} not in (select item_id from posted where item_id is not null)
{%- endif %}
