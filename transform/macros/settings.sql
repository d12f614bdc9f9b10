{#- The project's settings: a var given with `--vars` wins, else the JOURNAL_<NAME> environment variable
    (Meltano sets those from the dbt utilities' settings), else the default. -#}
{% macro setting(name) %}
  {%- set defaults = {
      'providers': 'candis,pleo,ivesk,findity',
      'candis_schema': 'tap_candis',
      'pleo_schema': 'tap_pleo',
      'ivesk_schema': 'tap_ivesk',
      'findity_schema': 'tap_findity',
      'candis_organization_id': '',
  } -%}
  {{- return(var(name, env_var('JOURNAL_' ~ name | upper, defaults[name]))) -}}
{% endmacro %}
