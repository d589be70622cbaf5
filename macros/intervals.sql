{#- 95% confidence bounds of the out-of-time test's figures, in closed form (z = 1.96).

    wilson_bound: Wilson's score interval of a rate, `successes` out of `trials` (it
    behaves with few or no successes, unlike the normal approximation): `side` -1 the
    lower bound, +1 the upper. -#}
{% macro wilson_bound(successes, trials, side) -%}
    {%- set z = 1.96 -%}
    (
        (
            {{ successes }} / {{ trials }} + {{ z * z }} / (2 * {{ trials }})
            {{ '-' if side < 0 else '+' }} {{ z }} * sqrt(
                ({{ successes }} / {{ trials }}) * (1 - {{ successes }} / {{ trials }}) / {{ trials }}
                + {{ z * z }} / (4 * {{ trials }} * {{ trials }})
            )
        )
        / (1 + {{ z * z }} / {{ trials }})
    )
{%- endmacro %}


{#- The AUC's bound by Hanley and McNeil's (1982) standard error, from the AUC and the
    numbers of adopters and non-adopters; clipped to 0..1. -#}
{% macro auc_bound(auc, n_positive, n_negative, side) -%}
    {%- set z = 1.96 -%}
    {{ 'greatest(0.0, ' if side < 0 else 'least(1.0, ' }}
        {{ auc }} {{ '-' if side < 0 else '+' }} {{ z }} * sqrt(
            (
                {{ auc }} * (1 - {{ auc }})
                + ({{ n_positive }} - 1) * ({{ auc }} / (2 - {{ auc }}) - {{ auc }} * {{ auc }})
                + ({{ n_negative }} - 1)
                * (2 * {{ auc }} * {{ auc }} / (1 + {{ auc }}) - {{ auc }} * {{ auc }})
            )
            / ({{ n_positive }} * {{ n_negative }})
        )
    )
{%- endmacro %}


{#- Average precision's bound by the logit interval of Boyd, Eng and Page (2013): the
    logit of AP plus or minus z / sqrt(adopters x AP x (1 - AP)), mapped back; null when AP
    is 0 or 1. -#}
{% macro average_precision_bound(average_precision, n_positive, side) -%}
    {%- set z = 1.96 -%}
    case
        when {{ average_precision }} > 0 and {{ average_precision }} < 1
            then 1 / (
                1 + exp(-(
                    ln({{ average_precision }} / (1 - {{ average_precision }}))
                    {{ '-' if side < 0 else '+' }} {{ z }} / sqrt(
                        {{ n_positive }} * {{ average_precision }} * (1 - {{ average_precision }})
                    )
                ))
            )
    end
{%- endmacro %}
