{#- Findity: one row per voucher row, signed as Findity signs them (debit positive, credit negative):
    DEBIT (expense account, net), VAT (input VAT account), CREDIT (the employee liability, minus the
    gross) in the accounting formats; one PAYMENT row (the gross to pay, positive) in the *_PAID formats.
    Rows have no net amount and no tax code (only the tax percent). -#}
{%- set cols = journal.raw_columns('findity', 'voucher_rows') -%}
{%- set voucher_cols = journal.raw_columns('findity', 'vouchers') -%}
{%- set currency = journal.text(cols, 'currency') -%}
{%- set amount = journal.money(minor=journal.field(cols, 'amountMinor'), decimal=journal.field(cols, 'amount'),
                               currency=currency) -%}
{%- set tax = journal.money(minor=journal.field(cols, 'taxAmountMinor'), decimal=journal.field(cols, 'taxAmount'),
                            currency=currency) -%}
{#- the ref is made whatever the warehouse holds, so that dbt knows the dependency when it parses -#}
{%- set vouchers_model = ref('stg_findity__vouchers') -%}
with src as (
  {{ journal.latest_rows('findity', 'voucher_rows', ['voucherId', 'rowNumber']) }}
)
{%- if voucher_cols %},
vouchers as (
  select * from {{ vouchers_model }}
)
{%- endif %}
select
  {%- set voucher_id = journal.text(cols, 'voucherId') -%}
  {%- set number = journal.text(cols, 'rowNumber') -%}
  {%- set values = {
      'journal_line_id': journal.line_id('findity', 'voucher_rows', voucher_id ~ " || '#' || " ~ number),
      'journal_document_id': journal.document_id('findity', 'vouchers', voucher_id),
      'provider': "'findity'",
      'tenant': journal.tenant(cols, ['organizationId'], fallback='vouchers.tenant' if voucher_cols else none),
      'source_relation': journal.source_relation('findity', 'voucher_rows'),
      'source_document_id': voucher_id,
      'source_line_id': voucher_id ~ " || '#' || " ~ number,
      'line_number': 'cast(' ~ number ~ ' as integer)',
      'document_type': 'vouchers.document_type' if voucher_cols else "'voucher'",
      'document_status': 'vouchers.document_status' if voucher_cols else none,
      'document_number': 'vouchers.document_number' if voucher_cols else voucher_id,
      'booking_date': 'vouchers.booking_date' if voucher_cols else none,
      'document_date': 'vouchers.document_date' if voucher_cols else none,
      'counterparty_name': 'vouchers.counterparty_name' if voucher_cols else none,
      'counterparty_number': 'vouchers.counterparty_number' if voucher_cols else none,
      'employee_name': 'vouchers.employee_name' if voucher_cols else none,
      'account': journal.text(cols, 'account'),
      'cost_center': journal.text(cols, 'dimension.costCenter'),
      'cost_object': journal.text(cols, 'dimension.project'),
      'dimensions': "nullif(concat_ws('; ', 'type=' || " ~ journal.text(cols, 'type') ~ ", 'salaryCode=' || "
          ~ journal.text(cols, 'salaryCode') ~ ", 'expenseReportId=' || " ~ journal.text(cols, 'expenseReportId')
          ~ ", 'expenseRecordId=' || " ~ journal.text(cols, 'expenseRecordId') ~ "), '')",
      'tax_rate': journal.decimal_from_text(journal.field(cols, 'taxPercent'), journal.rate_type()),
      'currency': currency,
      'posting_text': journal.text(cols, 'text'),
      'source_url': 'vouchers.source_url' if voucher_cols else none,
      'file_path': 'vouchers.file_path' if voucher_cols else none,
      'export_id': journal.text(cols, 'exportId'),
      'exported_at': 'vouchers.exported_at' if voucher_cols else none,
      'loaded_at': journal.to_timestamp(journal.field(cols, '_sdc_batched_at')),
  } -%}
  {%- do journal.money_values(values, 'amount', amount) -%}
  {%- do journal.money_values(values, 'tax_amount', tax) -%}
  {%- do values.update({'side': journal.side(amount[1])}) -%}
  {{ journal.select_columns(journal.line_columns(), values) }}
from src
{%- if voucher_cols %}
left join vouchers on vouchers.source_document_id = {{ voucher_id }}
{%- endif %}
