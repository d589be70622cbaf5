{#- Marts computed per fitted model from its out-of-time test scores: fct_decile_lift,
    fct_gains_curve and fct_model_evaluation (README, "Daily runs").

    A model's test scores change only when the model is trained again:
    ml_propensity_scores keeps them while the model's trained_at stays. So on DuckDB these
    marts are incremental. A run computes the rows of the models whose rows are missing,
    or were stored for another trained_at or another `evaluation_version`, and they
    replace that model's rows. On a day the grid stays put that is no model at all. The
    rows of models no longer in ml_propensity_models (or no longer fitted) are deleted
    after the run. On Spark they are tables built in full every run, as the per-snapshot
    models are. `trained_at_column` names the mart's copy of ml_propensity_models.trained_at. -#}
{% macro per_model_evaluation(trained_at_column) -%}
    {{- return(adapter.dispatch('per_model_evaluation', 'targeting')(trained_at_column)) -}}
{%- endmacro %}

{% macro default__per_model_evaluation(trained_at_column) -%}
    {%- set hook = "{{ drop_stale_evaluations('" ~ trained_at_column ~ "') }}" -%}
    {{- return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert',
        'unique_key': ['product_id', 'model_name'], 'on_schema_change': 'append_new_columns',
        'post_hook': [hook]}) -}}
{%- endmacro %}

{% macro spark__per_model_evaluation(trained_at_column) -%}
    {{- return({'materialized': 'table'}) -}}
{%- endmacro %}


{#- The version of the evaluation marts' rows, as an md5 (empty while dbt parses and in
    unit tests): the vars that shape them and the code that computes them (the three
    marts and the project's macros). When it changes, every model's rows are computed
    again, so rows of an old top_k never sit beside rows of a new one. -#}
{% macro evaluation_version() -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set parts = var_lines(['targeting__top_k', 'targeting__min_test_adopters'])
        + model_checksum_lines(['fct_decile_lift', 'fct_gains_curve', 'fct_model_evaluation']) -%}
    {{- return(version_md5(parts)) -}}
{%- endmacro %}


{#- The models whose rows this run computes, as [product_id, model_name] pairs: none for
    every model (a first run, a full refresh, a unit test, Spark, a table written before
    the evaluation_version column), else those of
    ml_propensity_models without a row of their trained_at and of the current
    evaluation_version in this table (most days: none). -#}
{% macro models_to_evaluate(trained_at_column) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- a table from before these columns (they are added to it, null): every model -#}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if 'evaluation_version' not in stored or trained_at_column not in stored -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set query -%}
        select models.product_id, models.model_name
        from {{ ml_table('ml_propensity_models') }} as models
        where not exists (
            select 1
            from {{ this }} as stored
            where
                stored.product_id = models.product_id
                and stored.model_name = models.model_name
                and stored.{{ trained_at_column }} is not distinct from models.trained_at
                and stored.evaluation_version = '{{ evaluation_version() }}'
        )
        order by 1, 2
    {%- endset -%}
    {{- return(run_query(query).rows | map('list') | list) -}}
{%- endmacro %}


{#- A filter to the models this run computes (true: all of them, false: none). -#}
{% macro model_filter(pairs) -%}
    {%- if pairs is none -%}
        true
    {%- elif not pairs -%}
        false
    {%- else -%}
        (product_id, model_name) in (
            {%- for pair in pairs -%}
                ('{{ pair[0] | replace("'", "''") }}', '{{ pair[1] | replace("'", "''") }}')
                {{- ', ' if not loop.last -}}
            {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}


{#- post-hook: deletes the rows of models no longer in ml_propensity_models with the
    stored trained_at (a product no longer targeted, a candidate no longer fitted), and
    of another evaluation version. -#}
{% macro drop_stale_evaluations(trained_at_column) -%}
    {%- if not is_incremental() -%}
        select 1
    {%- else -%}
        delete from {{ this }}
        where
            evaluation_version is distinct from '{{ evaluation_version() }}'
            or not exists (
                select 1
                from {{ ml_table('ml_propensity_models') }} as models
                where
                    models.product_id = {{ this.identifier }}.product_id
                    and models.model_name = {{ this.identifier }}.model_name
                    and models.trained_at is not distinct from {{ this.identifier }}.{{ trained_at_column }}
            )
    {%- endif -%}
{%- endmacro %}
