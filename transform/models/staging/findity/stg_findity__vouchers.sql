{#- Findity: one row per voucher of an export package (per report, user or expense, depending on the
    export's verificationListsType), with its export's organization, status and creation time. -#}
{%- set cols = journal.raw_columns('findity', 'vouchers') -%}
{%- set export_cols = journal.raw_columns('findity', 'exports') -%}
with src as (
  {{ journal.latest_rows('findity', 'vouchers', ['id']) }}
)
{%- if export_cols %},
{{ journal.exports_cte('findity', export_cols, {'organization_id': 'organizationId', 'export_status': 'status'}) }}
{%- endif %},
{{ journal.files_cte('findity') }}
select
  {{ journal.text(cols, 'id') }} as source_document_id,
  {{ journal.tenant(cols, ['organizationId'], fallback='exports.organization_id' if export_cols else none) }} as tenant,
  'voucher ' || coalesce({{ journal.text(cols, 'verificationListsType') }}, '') as document_type,
  {{ journal.text(cols, 'verificationListsType') }} as verification_lists_type,
  {{ journal.text(cols, 'id') }} as document_number,
  {{ 'exports.export_status' if export_cols else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as document_status,
  {{ journal.to_date(journal.field(cols, 'voucherDate')) }} as document_date,
  {{ journal.to_date(journal.field(cols, 'voucherDate')) }} as booking_date,
  {{ journal.text(cols, 'ownerName') }} as counterparty_name,
  {{ journal.text(cols, 'employeeNumber') }} as counterparty_number,
  {{ journal.text(cols, 'ownerName') }} as employee_name,
  {{ journal.text(cols, 'currency') }} as currency,
  {{ journal.text(cols, 'text') }} as description,
  {{ journal.text(cols, 'basisUrl') }} as source_url,
  {{ journal.text(cols, 'exportId') }} as export_id,
  {{ 'exports.exported_at' if export_cols else 'cast(null as timestamp)' }} as exported_at,
  {{ journal.document_tail('findity', 'vouchers', cols) }}
from src
{%- if export_cols %}
left join exports on exports.export_id = {{ journal.text(cols, 'exportId') }}
{%- endif %}
{{ journal.files_join(cols, 'id') }}
