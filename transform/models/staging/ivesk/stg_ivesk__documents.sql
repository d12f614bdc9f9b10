{#- Įvesk: one row per digitized document (invoice, credit invoice, receipt) of the queue the tap read,
    with its lines kept as JSON for stg_ivesk__document_lines. The tenant is the company code. A document
    whose seller is the company itself is a sales document: its counterparty is the buyer and its amounts
    are credits (negative); purchase documents keep Įvesk's sign (credit invoices are negative there). -#}
{%- set cols = journal.raw_columns('ivesk', 'documents') -%}
{%- set tenant = journal.tenant(cols, ['companycode', 'companyCode']) -%}
{%- set sales = "(" ~ journal.text(cols, 'sellercode') ~ " = " ~ tenant ~ " and " ~ journal.text(cols, 'buyercode')
    ~ " is distinct from " ~ tenant ~ ")" -%}
{%- set sign = "case when " ~ sales ~ " then -1 else 1 end" -%}
{%- set currency = journal.text(cols, 'currency') -%}
{%- set total = journal.money(minor=journal.field(cols, 'totalMinor'), decimal=journal.field(cols, 'total'),
                              currency=currency, sign=sign) -%}
{%- set net = journal.money(minor=journal.field(cols, 'subtotalMinor'), decimal=journal.field(cols, 'subtotal'),
                            currency=currency, sign=sign) -%}
{%- set tax = journal.money(minor=journal.field(cols, 'vatMinor'), decimal=journal.field(cols, 'vat'),
                            currency=currency, sign=sign) -%}
with src as (
  {{ journal.latest_rows('ivesk', 'documents', ['id']) }}
),
files as (
  {{ journal.files_of('ivesk') }}
)
select
  {{ journal.text(cols, 'id') }} as source_document_id,
  {{ tenant }} as tenant,
  case when {{ sales }} then 'sales_' else '' end || {{ journal.text(cols, 'doctype') }} as document_type,
  {{ sign }} as journal_sign,
  {{ journal.text(cols, 'docnum') }} as document_number,
  case when {{ journal.field(cols, 'exportedat') }} is not null then 'exported' else 'digitized' end as document_status,
  {{ journal.to_date(journal.field(cols, 'date')) }} as document_date,
  coalesce({{ journal.to_date(journal.field(cols, 'operationdate')) }},
           {{ journal.to_date(journal.field(cols, 'date')) }}) as booking_date,
  {{ journal.to_date(journal.field(cols, 'duedate')) }} as due_date,
  case when {{ sales }} then {{ journal.text(cols, 'buyername') }} else {{ journal.text(cols, 'sellername') }} end as counterparty_name,
  case when {{ sales }} then {{ journal.text(cols, 'buyercode') }} else {{ journal.text(cols, 'sellercode') }} end as counterparty_number,
  case when {{ sales }} then {{ journal.text(cols, 'buyervat') }} else {{ journal.text(cols, 'sellervat') }} end as counterparty_vat_id,
  {{ currency }} as currency,
  {{ total[0] }} as total_amount,
  {{ total[1] }} as total_amount_minor,
  {{ net[0] }} as net_amount,
  {{ net[1] }} as net_amount_minor,
  {{ tax[0] }} as tax_amount,
  {{ tax[1] }} as tax_amount_minor,
  {{ journal.text(cols, 'filename') }} as description,
  {{ journal.text(cols, 'url') }} as source_url,
  {{ journal.to_timestamp(journal.field(cols, 'exportedat')) }} as exported_at,
  {{ journal.to_timestamp(journal.field(cols, '_sdc_batched_at')) }} as loaded_at,
  {{ journal.array_field('ivesk', 'documents', 'lines' if journal.has_field(cols, 'lines') else 'line') }} as lines_json,
  files.file_path,
  files.file_paths,
  files.file_count
from src
left join files on files.owner_id = {{ journal.text(cols, 'id') }}
