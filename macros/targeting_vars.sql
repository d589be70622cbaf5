{#- Vars are checked once, before any model runs (on-run-start), and again where a model
    needs one to render (at parse time, before any hook): either way a var that cannot
    be right fails with its name and what to put there instead, and with every other
    var that cannot be right, one line each, so one run shows all there is to fix. -#}

{% macro var_problem(name, value, advice) -%}
    {{- return("targeting: var " ~ name ~ " is "
        ~ (("'" ~ value ~ "'") if value is string else value) ~ "; " ~ advice) -}}
{%- endmacro %}


{#- Records a problem in `problems` when given (the full check collects them), else
    fails with it and every other problem of the vars. -#}
{% macro var_error(name, value, advice, problems=none) -%}
    {%- if problems is not none -%}
        {%- do problems.append(var_problem(name, value, advice)) -%}
    {%- else -%}
        {%- set found = targeting_var_problems() -%}
        {%- set this_one = var_problem(name, value, advice) -%}
        {{- exceptions.raise_compiler_error(
            ([this_one] + (found | reject('equalto', this_one) | list)) | join('\n')) -}}
    {%- endif -%}
{%- endmacro %}


{#- A var that must be a whole number of at least `minimum`; returns it. -#}
{% macro whole_number_var(name, minimum=1, problems=none) -%}
    {%- set value = var(name) -%}
    {%- if value is not number or value is sameas true or value is sameas false
        or value != value | int or value < minimum -%}
        {{- var_error(name, value, "set it to a whole number of " ~ minimum ~ " or more.", problems) -}}
    {%- endif -%}
    {{- return(value | int) -}}
{%- endmacro %}


{#- A var that must be a number between `low` and `high` (open or closed ends); returns it. -#}
{% macro number_var(name, low, high, low_open=false, high_open=false, example='', problems=none) -%}
    {%- set value = var(name) -%}
    {%- if value is not number or value is sameas true or value is sameas false
        or (value <= low if low_open else value < low)
        or (value >= high if high_open else value > high) -%}
        {{- var_error(name, value, "set it to a number " ~ ('above ' if low_open else 'from ') ~ low
            ~ (' and below ' if high_open else ' to ') ~ high ~ example ~ ".", problems) -}}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}


{#- Every problem of the targeting__* vars, one sentence each (empty when all is well). -#}
{% macro targeting_var_problems() -%}
    {%- set problems = [] -%}
    {%- for name in [
        'targeting__snapshot_interval_days',
        'targeting__n_training_snapshots',
        'targeting__label_horizon_days',
        'targeting__session_gap_minutes',
        'targeting__new_user_days',
        'targeting__bot_max_events_per_hour',
        'targeting__top_k',
        'targeting__min_adopters_for_model',
        'targeting__min_test_adopters',
        'targeting__scoring_batch_rows',
        'targeting__max_training_rows',
        'targeting__max_reason_rows',
        'targeting__list_history_depth',
        'targeting__list_history_days',
    ] -%}
        {%- do whole_number_var(name, problems=problems) -%}
    {%- endfor -%}
    {%- do whole_number_var('targeting__random_seed', minimum=0, problems=problems) -%}
    {%- do whole_number_var('targeting__latent_factors', minimum=0, problems=problems) -%}
    {%- do whole_number_var('targeting__late_event_days', minimum=0, problems=problems) -%}
    {%- set model_params = var('targeting__model_params') -%}
    {%- set model_names = ['logistic_regression', 'lightgbm', 'ensemble', 'lookalike'] -%}
    {%- if model_params is not mapping
        or (model_params.keys() | reject('in', model_names) | list)
        or (model_params.values() | reject('mapping') | list) -%}
        {{- var_error('targeting__model_params', model_params,
            "set it to a mapping from model name (" ~ model_names | join(', ')
            ~ ") to parameters, such as {lightgbm: {num_leaves: 31}}, or {} for the defaults.", problems) -}}
    {%- endif -%}
    {%- do number_var('targeting__bot_user_agent_share', 0, 1, low_open=true, example=', such as 0.5', problems=problems) -%}
    {%- do number_var('targeting__engaged_percentile', 0, 1, low_open=true, high_open=true, example=', such as 0.75', problems=problems) -%}
    {%- do number_var('targeting__affinity_smoothing', 0, 1000000, example=' (a pseudo-count of adopters, such as 20)', problems=problems) -%}
    {%- do number_var('targeting__holdout_share', 0, 0.5, example=', such as 0.1 (0 = no control group)', problems=problems) -%}
    {%- set psi_threshold = number_var('targeting__drift_psi_threshold', 0, 10, low_open=true, example=', such as 0.2', problems=problems) -%}
    {%- do number_var('targeting__drift_psi_moderate_threshold', 0,
        psi_threshold if psi_threshold is number and psi_threshold > 0 else 10,
        example=', such as 0.1 (at most targeting__drift_psi_threshold)', problems=problems) -%}
    {%- set date_pattern = '[0-9]{4}-[0-9]{2}-[0-9]{2}' -%}
    {%- set as_of = var('targeting__as_of') -%}
    {%- if as_of is not none and modules.re.fullmatch(date_pattern, as_of | string) is none -%}
        {{- var_error('targeting__as_of', as_of,
            "set it to a date like 2026-10-01, or null for the day after the last event.", problems) -}}
    {%- endif -%}
    {%- set cutoff = var('targeting__future_cutoff_at') -%}
    {%- if cutoff is not none and modules.re.fullmatch(
        date_pattern ~ '([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?', cutoff | string) is none -%}
        {{- var_error('targeting__future_cutoff_at', cutoff,
            "set it to a UTC time like '2026-10-01 00:00:00', or null for the time the run starts.", problems) -}}
    {%- endif -%}
    {%- do snapshot_origin_var(problems) -%}
    {%- set retrain = var('targeting__retrain') -%}
    {%- if retrain is not sameas true and retrain is not sameas false -%}
        {{- var_error('targeting__retrain', retrain,
            "set it to true to retrain every model on this run, or false to reuse the stored ones when nothing changed.",
            problems) -}}
    {%- endif -%}
    {%- set campaigns = var('targeting__campaign_assignments') -%}
    {%- if campaigns != 'auto' and campaigns is not sameas true and campaigns is not sameas false -%}
        {{- var_error('targeting__campaign_assignments', campaigns,
            "set it to auto (read campaign_assignments when the file is there), true (read it) or false (never).",
            problems) -}}
    {%- endif -%}
    {%- do products_var(problems) -%}
    {{- return(problems) -}}
{%- endmacro %}


{#- on-run-start: every var problem at once, before any model runs. -#}
{% macro validate_targeting_vars() -%}
    {%- set problems = targeting_var_problems() -%}
    {%- if problems -%}
        {{- exceptions.raise_compiler_error(problems | join('\n')) -}}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- The product ids of var targeting__products (a list; empty = every adopted product). -#}
{% macro products_var(problems=none) -%}
    {%- set products = var('targeting__products') -%}
    {%- if products is none or products is string or products is mapping or products is not iterable -%}
        {{- var_error('targeting__products', products,
            "set it to a list of product ids such as [analytics_pro], or [] for all.", problems) -}}
        {{- return([]) -}}
    {%- endif -%}
    {{- return(products | map('string') | list) -}}
{%- endmacro %}


{#- The train and test snapshots, in days before the test snapshot, as DESIGN fixes them
    (the score snapshot is as_of itself, off the grid): the train snapshots are the grid
    dates before the test snapshot whose label windows end on or before it. -#}
{% macro snapshot_offsets() -%}
    {%- set interval = whole_number_var('targeting__snapshot_interval_days') -%}
    {%- set horizon = whole_number_var('targeting__label_horizon_days') -%}
    {%- set steps_per_horizon = ((horizon + interval - 1) // interval) -%}
    {%- set offsets = [
        {'role': 'score', 'days_before_test': 0},
        {'role': 'test', 'days_before_test': 0},
    ] -%}
    {%- for i in range(whole_number_var('targeting__n_training_snapshots')) -%}
        {%- do offsets.append({'role': 'train', 'days_before_test': (steps_per_horizon + i) * interval}) -%}
    {%- endfor -%}
    {{- return(offsets) -}}
{%- endmacro %}


{#- The grid's origin (var targeting__snapshot_origin), a date like 2024-01-01. -#}
{% macro snapshot_origin_var(problems=none) -%}
    {%- set origin = var('targeting__snapshot_origin') -%}
    {%- if modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', origin | string) is none -%}
        {{- var_error('targeting__snapshot_origin', origin,
            "set it to a date like 2024-01-01: the grid runs every targeting__snapshot_interval_days from it.",
            problems) -}}
    {%- endif -%}
    {{- return(origin | string) -}}
{%- endmacro %}
