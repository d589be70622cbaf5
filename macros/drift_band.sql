{#- The band of a population stability index (fct_feature_drift): `drifted` above
    `threshold` (targeting__drift_psi_threshold, where is_drifted starts), `moderate` above
    `moderate_threshold` (targeting__drift_psi_moderate_threshold), else `stable`; null
    when the index is (an empty population). -#}
{% macro drift_band(psi, threshold, moderate_threshold) -%}
    case
        when {{ psi }} > {{ threshold }} then 'drifted'
        when {{ psi }} > {{ moderate_threshold }} then 'moderate'
        when {{ psi }} is not null then 'stable'
    end
{%- endmacro %}
