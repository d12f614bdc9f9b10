{#
  Generic tests of the journal (used in models/marts/marts.yml). Each returns the rows that break it.
#}

{% test amount_matches_minor(model, column_name, minor_column, currency_column='currency') %}
  {#- The exact decimal and its integer minor units are the same amount (nothing lost in either). -#}
  select {{ column_name }}, {{ minor_column }}, {{ currency_column }}
  from {{ model }}
  where ({{ column_name }} is null) <> ({{ minor_column }} is null)
     or {{ column_name }} <> {{ journal.minor_to_amount(minor_column, currency_column) }}
{% endtest %}


{% test net_plus_tax_is_amount(model, column_name, net_column, tax_column) %}
  {#- Where a line has both, its net and its tax add up to its (gross) amount, to the minor unit. -#}
  select {{ column_name }}, {{ net_column }}, {{ tax_column }}
  from {{ model }}
  where {{ net_column }} is not null and {{ tax_column }} is not null
    and {{ net_column }} + {{ tax_column }} <> {{ column_name }}
{% endtest %}


{% test side_is_the_sign(model, column_name, amount_column) %}
  {#- The sign convention: debit lines are >= 0, credit lines < 0. -#}
  select {{ column_name }}, {{ amount_column }}
  from {{ model }}
  where not (({{ column_name }} = 'debit' and {{ amount_column }} >= 0)
          or ({{ column_name }} = 'credit' and {{ amount_column }} < 0))
{% endtest %}


{% test lines_sum_to_total(model, column_name, total_column, where_sql='1 = 1', tolerance_sql='0') %}
  {#- Internal consistency: a document's lines add up to the document's own total (within a stated
      allowance, in minor units). -#}
  select journal_document_id, {{ column_name }}, {{ total_column }}, {{ tolerance_sql }} as allowed
  from {{ model }}
  where ({{ where_sql }})
    and ({{ total_column }} is null
         or abs({{ column_name }} - {{ total_column }}) > {{ tolerance_sql }})
{% endtest %}


{% test greater_than_zero(model, column_name) %}
  select {{ column_name }} from {{ model }} where not ({{ column_name }} > 0)
{% endtest %}
