{#
  Tie-outs: per provider x tenant x currency, the journal's lines against the source lines read straight
  from the raw tables (not through the staging models): the same number of lines and the same sum of
  integer minor units. Used by the singular tests in tests/tie_out_*.sql; a provider whose raw table is
  not in the warehouse has nothing to tie out.
#}

{% macro tie_out(provider, table, raw_lines) %}
  {#- `raw_lines`: SQL of one row per source line with columns tenant, currency, amount_minor. -#}
  {%- if journal.raw_exists(provider, table) %}
  with raw_totals as (
    select tenant, currency, count(*) as line_count, sum(amount_minor) as amount_minor
    from ({{ raw_lines }}) as raw_lines
    group by tenant, currency
  ),
  journal_totals as (
    select tenant, currency, count(*) as line_count, sum(amount_minor) as amount_minor
    from {{ ref('journal_lines') }}
    where source_relation = {{ journal.source_relation(provider, table) }}
    group by tenant, currency
  )
  select
    coalesce(raw_totals.tenant, journal_totals.tenant) as tenant,
    coalesce(raw_totals.currency, journal_totals.currency) as currency,
    raw_totals.line_count as raw_lines, journal_totals.line_count as journal_lines,
    raw_totals.amount_minor as raw_amount_minor, journal_totals.amount_minor as journal_amount_minor
  from raw_totals
  full outer join journal_totals
    on coalesce(raw_totals.tenant, '') = coalesce(journal_totals.tenant, '')
   and coalesce(raw_totals.currency, '') = coalesce(journal_totals.currency, '')
  where coalesce(raw_totals.line_count, 0) <> coalesce(journal_totals.line_count, 0)
     or coalesce(raw_totals.amount_minor, 0) <> coalesce(journal_totals.amount_minor, 0)
  {%- else %}
  select 1 as nothing_to_tie_out where 1 = 0
  {%- endif %}
{% endmacro %}


{% macro raw_array_lines(provider, table, keys, array_path) %}
  {#- The elements of a raw table's array column (one row per source line), over its live rows: the raw
      row's columns and the element as `element`. -#}
  {{ journal.json_elements('(' ~ journal.raw_array_column(provider, table, keys, array_path) ~ ')', 'journal_lines_json') }}
{% endmacro %}


{% macro raw_array_column(provider, table, keys, array_path) %}
  select raw_rows.*, {{ journal.array_field(provider, table, array_path, 'raw_rows') }} as journal_lines_json
  from ({{ journal.latest_rows(provider, table, keys) }}) as raw_rows
{% endmacro %}


{% macro raw_lines_candis(table, currency_path, array_path) %}
  {#- A Candis table's array elements (amountMinor each) with the record's tenant and currency. -#}
  {%- set cols = journal.raw_columns('candis', table) -%}
  select
    {{ journal.tenant(cols, ['organizationId'], fallback=journal.var_text('candis_organization_id'), alias='lines') }} as tenant,
    {{ journal.text(cols, currency_path, 'lines') }} as currency,
    cast({{ journal.json_text('lines.element', ['amountMinor']) }} as bigint) as amount_minor
  from ({{ journal.raw_array_lines('candis', table, ['id'], array_path) }}) as lines
{% endmacro %}


{% macro raw_lines_candis_postings() %}
  {{ journal.raw_lines_candis('postings', 'amount.currencyCode', 'splitPostings') }}
{% endmacro %}


{% macro raw_lines_candis_reimbursement_items() %}
  {#- Items already exported as a posting (entityGuid) are booked through the posting. -#}
  {%- set cols = journal.raw_columns('candis', 'reimbursement_items') -%}
  {%- set posting_cols = journal.raw_columns('candis', 'postings') -%}
  {{ journal.raw_lines_candis('reimbursement_items', 'totalAmount.currency', 'bookings') }}
  {%- if posting_cols %}
  where {{ journal.text(cols, 'id', 'lines') }} not in (
    select {{ journal.text(posting_cols, 'entityGuid') }} from {{ journal.raw('candis', 'postings') }} as src
    where {{ journal.text(posting_cols, 'type') }} = 'REIMBURSEMENT_ITEM'
      and {{ journal.text(posting_cols, 'entityGuid') }} is not null
  )
  {%- endif %}
{% endmacro %}


{% macro raw_lines_pleo_export_items() %}
  {#- The items of each accounting entry's newest export job. -#}
  {%- set cols = journal.raw_columns('pleo', 'export_items') -%}
  {%- set job_cols = journal.raw_columns('pleo', 'export_jobs') -%}
  {%- set entry = journal.text(cols, 'accountingEntryId', 'lines') -%}
  {%- set job = journal.text(cols, 'exportJobId', 'lines') -%}
  select tenant, currency, amount_minor from (
    select
      {{ journal.tenant(cols, ['companyId'], alias='lines') }} as tenant,
      {{ journal.text(cols, 'amount.inWalletCurrency.currency', 'lines') }} as currency,
      cast({{ journal.json_text('lines.element', ['lineAmount', 'inWalletCurrency', 'valueMinor']) }} as bigint) as amount_minor,
      dense_rank() over (partition by {{ entry }} order by
        {%- if job_cols %} {{ journal.to_timestamp(journal.field(job_cols, 'createdAt', 'jobs')) }} desc nulls last, {% endif %}
        {{ job }} desc) as job_rank
    from ({{ journal.raw_array_lines('pleo', 'export_items', ['exportJobId', 'accountingEntryId'], 'accountingEntryLines') }}) as lines
    {%- if job_cols %}
    left join {{ journal.raw('pleo', 'export_jobs') }} as jobs on {{ journal.text(job_cols, 'id', 'jobs') }} = {{ job }}
    {%- endif %}
  ) as ranked
  where job_rank = 1
{% endmacro %}


{% macro raw_lines_ivesk_documents() %}
  {#- Sales documents (the company is the seller) are credits: their lines count negative. -#}
  {%- set cols = journal.raw_columns('ivesk', 'documents') -%}
  {%- set tenant = journal.tenant(cols, ['companycode', 'companyCode'], alias='lines') -%}
  select
    {{ tenant }} as tenant,
    {{ journal.text(cols, 'currency', 'lines') }} as currency,
    cast({{ journal.json_text('lines.element', ['totalMinor']) }} as bigint)
      * case when {{ journal.text(cols, 'sellercode', 'lines') }} = {{ tenant }}
              and {{ journal.text(cols, 'buyercode', 'lines') }} is distinct from {{ tenant }} then -1 else 1 end
      as amount_minor
  from ({{ journal.raw_array_lines('ivesk', 'documents', ['id'], 'lines' if journal.has_field(cols, 'lines') else 'line') }}) as lines
{% endmacro %}


{% macro raw_lines_findity_voucher_rows() %}
  {%- set cols = journal.raw_columns('findity', 'voucher_rows') -%}
  {%- set export_cols = journal.raw_columns('findity', 'exports') -%}
  {%- set fallback = journal.text(export_cols, 'organizationId', 'exports') if export_cols else none -%}
  select
    {{ journal.tenant(cols, ['organizationId'], fallback=fallback, alias='rows_') }} as tenant,
    {{ journal.text(cols, 'currency', 'rows_') }} as currency,
    cast({{ journal.text(cols, 'amountMinor', 'rows_') }} as bigint) as amount_minor
  from ({{ journal.latest_rows('findity', 'voucher_rows', ['voucherId', 'rowNumber']) }}) as rows_
  {%- if export_cols %}
  left join ({{ journal.latest_rows('findity', 'exports', ['id']) }}) as exports
    on {{ journal.text(export_cols, 'id', 'exports') }} = {{ journal.text(cols, 'exportId', 'rows_') }}
  {%- endif %}
{% endmacro %}
