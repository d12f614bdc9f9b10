{#- One row per source document (posting, reimbursement item, export item, digitized document, voucher)
    of every provider in the warehouse: its own totals, counterparty, dates and status, the sum and count
    of its lines in journal_lines (journal_document_id links the two) and its stored files. -#}
{%- set s = dbt.type_string() -%}
{%- set common = ['tenant', 'source_document_id', 'document_type', 'document_number', 'document_status',
                  'booking_date', 'document_date', 'due_date', 'counterparty_name', 'counterparty_number',
                  'counterparty_vat_id', 'employee_name', 'currency', 'total_amount', 'total_amount_minor',
                  'net_amount', 'net_amount_minor', 'tax_amount', 'tax_amount_minor', 'description',
                  'source_url', 'export_id', 'exported_at', 'loaded_at'] -%}
{%- set documents = [
    ('candis', 'postings', 'stg_candis__postings', 'postings',
     ['counterparty_vat_id', 'net_amount', 'net_amount_minor', 'tax_amount', 'tax_amount_minor']),
    ('candis', 'reimbursement_items', 'stg_candis__reimbursement_items', 'reimbursement_items',
     ['counterparty_vat_id', 'net_amount', 'net_amount_minor', 'tax_amount', 'tax_amount_minor',
      'source_url', 'export_id', 'exported_at']),
    ('pleo', 'export_items', 'stg_pleo__export_items', 'export_items',
     ['net_amount', 'net_amount_minor', 'tax_amount', 'tax_amount_minor']),
    ('ivesk', 'documents', 'stg_ivesk__documents', 'documents', ['employee_name', 'export_id']),
    ('findity', 'voucher_rows', 'stg_findity__vouchers', 'vouchers',
     ['due_date', 'counterparty_vat_id', 'total_amount', 'total_amount_minor', 'net_amount',
      'net_amount_minor', 'tax_amount', 'tax_amount_minor']),
] -%}
{%- set parts = [] -%}
{%- for provider, line_table, model, table, missing in documents -%}
  {%- set relation = ref(model) -%}
  {%- if journal.raw_exists(provider, line_table) -%}
    {%- set values = {
        'journal_document_id': journal.document_id(provider, table, 'source_document_id'),
        'provider': "'" ~ provider ~ "'",
        'source_relation': journal.source_relation(provider, table),
    } -%}
    {%- for name in common if name not in missing -%}
      {%- do values.update({name: name}) -%}
    {%- endfor -%}
    {%- do parts.append('select ' ~ journal.select_columns(journal.document_columns(), values)
        ~ ', cast(file_path as ' ~ s ~ ') as file_path, cast(file_paths as ' ~ s ~ ') as file_paths'
        ~ ', cast(coalesce(file_count, 0) as integer) as file_count from ' ~ relation) -%}
  {%- endif -%}
{%- endfor -%}
with documents as (
{%- if parts %}
  {{ parts | join('\n  union all\n  ') }}
{%- else %}
  select {{ journal.select_columns(journal.document_columns(), {}) }},
    cast(null as {{ s }}) as file_path, cast(null as {{ s }}) as file_paths, cast(0 as integer) as file_count
  where 1 = 0
{%- endif %}
),
lines as (
  select journal_document_id,
    cast(count(*) as integer) as line_count,
    sum(amount_minor) as lines_amount_minor,
    sum(case when amount_minor > 0 then amount_minor else 0 end) as lines_debit_minor,
    sum(tax_amount_minor) as lines_tax_amount_minor
  from {{ ref('journal_lines') }}
  group by journal_document_id
),
documents_with_lines as (
  select documents.*,
    coalesce(lines.line_count, 0) as line_count,
    coalesce(lines.lines_amount_minor, 0) as lines_amount_minor,
    {#- Findity's vouchers have no total of their own: their gross is the sum of their debit rows (in the
        payment formats: every row) and their VAT the sum of the rows' taxAmount. -#}
    coalesce(documents.total_amount_minor,
             case when documents.provider = 'findity' then lines.lines_debit_minor end) as document_total_minor,
    coalesce(documents.tax_amount_minor,
             case when documents.provider = 'findity' then lines.lines_tax_amount_minor end) as document_tax_minor
  from documents
  left join lines on lines.journal_document_id = documents.journal_document_id
)
select
  journal_document_id, provider, tenant, source_relation, source_document_id,
  document_type, document_number, document_status, booking_date, document_date, due_date,
  counterparty_name, counterparty_number, counterparty_vat_id, employee_name,
  currency,
  coalesce(total_amount, {{ journal.minor_to_amount('document_total_minor', 'currency') }}) as total_amount,
  document_total_minor as total_amount_minor,
  net_amount,
  net_amount_minor,
  coalesce(tax_amount, {{ journal.minor_to_amount('document_tax_minor', 'currency') }}) as tax_amount,
  document_tax_minor as tax_amount_minor,
  line_count,
  lines_amount_minor,
  {{ journal.minor_to_amount('lines_amount_minor', 'currency') }} as lines_amount,
  description, source_url, file_path, file_paths, file_count,
  export_id, exported_at, loaded_at
from documents_with_lines
