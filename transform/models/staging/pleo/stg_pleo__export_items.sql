{#- Pleo: one row per exported accounting entry (an export job's item: card purchase, refund, invoice,
    out-of-pocket, mileage, ...), with its accounting-entry lines kept as JSON for
    stg_pleo__export_item_lines. Pleo sends money in integer minor units; the tap adds valueMajor (exact
    decimal) and valueMinor beside each. An entry exported again by a later job is booked once: the item
    of its newest job counts. Amounts are in the company's (wallet) currency, as booked. -#}
{%- set cols = journal.raw_columns('pleo', 'export_items') -%}
{%- set job_cols = journal.raw_columns('pleo', 'export_jobs') -%}
{%- set currency, total = journal.document_total(cols, 'amount.inWalletCurrency.currency',
    'amount.inWalletCurrency.valueMinor', 'amount.inWalletCurrency.valueMajor') -%}
with items as (
  {{ journal.latest_rows('pleo', 'export_items', ['exportJobId', 'accountingEntryId']) }}
)
{%- if job_cols %},
jobs as (
  select {{ journal.text(job_cols, 'id') }} as job_id,
    {{ journal.text(job_cols, 'status') }} as job_status,
    {{ journal.to_timestamp(journal.field(job_cols, 'createdAt')) }} as job_created_at
  from ({{ journal.latest_rows('pleo', 'export_jobs', ['id']) }}) as src
)
{%- endif %},
src as (
  select items.*,
    {{ 'jobs.job_status' if job_cols else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as journal_job_status,
    {{ 'jobs.job_created_at' if job_cols else 'cast(null as timestamp)' }} as journal_job_created_at,
    row_number() over (
      partition by {{ journal.text(cols, 'accountingEntryId', 'items') }}
      order by {{ 'jobs.job_created_at desc nulls last, ' if job_cols else '' }}{{ journal.text(cols, 'exportJobId', 'items') }} desc
    ) as journal_job_rank
  from items
  {%- if job_cols %}
  left join jobs on jobs.job_id = {{ journal.text(cols, 'exportJobId', 'items') }}
  {%- endif %}
),
{{ journal.files_cte('pleo') }}
select
  {{ journal.text(cols, 'accountingEntryId') }} as source_document_id,
  {{ journal.text(cols, 'exportJobId') }} as export_id,
  {{ journal.tenant(cols, ['companyId']) }} as tenant,
  {{ journal.text(cols, 'type') }} as document_type,
  {{ journal.text(cols, 'additionalInformation.invoiceInformation.invoiceNumber') }} as document_number,
  src.journal_job_status as document_status,
  {{ journal.to_date(journal.field(cols, 'date')) }} as booking_date,
  coalesce({{ journal.to_date(journal.field(cols, 'additionalInformation.invoiceInformation.invoiceDate')) }},
           {{ journal.to_date(journal.field(cols, 'date')) }}) as document_date,
  {{ journal.to_date(journal.field(cols, 'additionalInformation.invoiceInformation.dueDate')) }} as due_date,
  {{ journal.first_text(cols, ['vendor.name', 'supplier.name']) }} as counterparty_name,
  {{ journal.first_text(cols, ['vendor.code', 'supplier.code']) }} as counterparty_number,
  {{ journal.first_text(cols, ['vendor.taxRegistrationNumber', 'supplier.taxIdentifier']) }} as counterparty_vat_id,
  {{ journal.text(cols, 'user.name') }} as employee_name,
  {{ journal.text(cols, 'contraAccount.code') }} as contra_account,
  {{ journal.text(cols, 'team.code') }} as team_code,
  {{ journal.total_columns(currency, total) }},
  {{ journal.text(cols, 'note') }} as description,
  {{ journal.text(cols, '_links.web.href') }} as source_url,
  src.journal_job_created_at as exported_at,
  {{ journal.document_tail('pleo', 'export_items', cols, 'accountingEntryLines') }}
from src
{{ journal.files_join(cols, 'accountingEntryId') }}
where src.journal_job_rank = 1
