{#- Candis: one row per reimbursement item (an employee's expense, mileage, per diem or hospitality),
    with its bookings kept as JSON for stg_candis__reimbursement_item_bookings. An item Candis has also
    exported as a posting (a posting of type REIMBURSEMENT_ITEM whose entityGuid is the item) is booked
    once, through the posting, and left out here. -#}
{%- set cols = journal.raw_columns('candis', 'reimbursement_items') -%}
{%- set posting_cols = journal.raw_columns('candis', 'postings') -%}
{#- amountMajor/amountMinor: the tap's exact values whatever shape Candis sent (amount may be minor units) -#}
{%- set currency, total = journal.document_total(cols, 'totalAmount.currency', 'totalAmount.amountMinor',
                                                 'totalAmount.amountMajor') -%}
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
{{ journal.files_cte('candis') }}
select
  {{ journal.candis_document_keys(cols) }},
  {{ journal.text(cols, 'type') }} as document_type,
  {{ journal.text(cols, 'invoiceNumber') }} as document_number,
  {{ journal.text(cols, 'status') }} as document_status,
  {{ journal.to_date(journal.field(cols, 'expenseDate')) }} as document_date,
  {{ journal.to_date(journal.field(cols, 'expenseDate')) }} as booking_date,
  cast(null as date) as due_date,
  {{ journal.text(cols, 'contact.name') }} as counterparty_name,
  {{ journal.text(cols, 'contact.accountsPayableNumber') }} as counterparty_number,
  {{ journal.text(cols, 'contact.name') }} as employee_name,
  {{ journal.total_columns(currency, total) }},
  coalesce({{ journal.text(cols, 'title') }}, {{ journal.text(cols, 'reimbursementCase.title') }}) as description,
  {{ journal.document_tail('candis', 'reimbursement_items', cols, 'bookings') }}
from src
{{ journal.files_join(cols, 'id') }}
{%- if posting_cols %}
where {{ journal.text(cols, 'id') }} not in (select item_id from posted where item_id is not null)
{%- endif %}
