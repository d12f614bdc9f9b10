{#- The journal: one row per booking line of every provider whose raw tables are in the warehouse (see
    README.md for the mapping and the sign convention). -#}
{%- set sources = [
    ('candis', 'postings', 'stg_candis__posting_lines'),
    ('candis', 'reimbursement_items', 'stg_candis__reimbursement_item_bookings'),
    ('pleo', 'export_items', 'stg_pleo__export_item_lines'),
    ('ivesk', 'documents', 'stg_ivesk__document_lines'),
    ('findity', 'voucher_rows', 'stg_findity__voucher_rows'),
] -%}
{%- set parts = [] -%}
{%- for provider, table, model in sources -%}
  {%- set relation = ref(model) -%}
  {%- if journal.raw_exists(provider, table) -%}
    {%- do parts.append('select * from ' ~ relation) -%}
  {%- endif -%}
{%- endfor -%}
{%- if parts -%}
{{ parts | join('\nunion all\n') }}
{%- else -%}
select {{ journal.select_columns(journal.line_columns(), {}) }}
where 1 = 0
{%- endif %}
