-- What each campaign did: per campaign and product, the users and adopters of each arm
-- (contacted, holdout) within targeting__label_horizon_days after each user's assignment,
-- the uplift with its 95% interval, and the same estimate adjusted with the model's
-- probability known before the assignment as covariate (CUPED with the prediction as
-- covariate, "CUPAC"), which narrows the interval without moving what it estimates.
-- The adjustment is Lin's (2013): a slope per arm, each arm's rate moved to the mean
-- probability of both arms; with a common slope a 90/10 split can widen the interval
-- instead. The intervals are Agresti and Caffo's: computed as if each arm had one adopter
-- and one non-adopter more (both at the arm's mean probability), which keeps them at 95%
-- when an arm has few adopters, as a holdout often has; the point estimates are plain.
-- Users who had adopted the product before their assignment are left out (counted).
-- Until the last assignment's horizon has closed the counts are partial: is_horizon_closed.
{%- set z = 1.96 %}
{%- set horizon = whole_number_var('targeting__label_horizon_days') %}
{%- set holdout_share = var('targeting__holdout_share') %}

with

assignments as (

    select * from {{ ref('int_campaign_assignments_validated') }}
    where dq_issue is null

),

adoptions as (

    select * from {{ ref('int_adoptions_validated') }}
    where dq_issue is null

),

-- the data's end: the score snapshot (as_of)
data_end as (

    select snapshot_date as as_of_date
    from {{ ref('int_snapshots') }}
    where role = 'score'

),

-- every probability the champion gave a user before: the lists kept as history, and the
-- out-of-time test and score snapshots' scores
probabilities as (

    select
        product_id,
        user_id,
        snapshot_date,
        probability

    from {{ ref('fct_target_lists') }}
    where probability is not null

    union all

    select
        scores.product_id,
        scores.user_id,
        scores.snapshot_date,
        scores.probability

    from {{ ml_table('ml_propensity_scores') }} as scores
    inner join {{ ml_table('ml_propensity_models') }} as models
        on
            scores.product_id = models.product_id
            and scores.model_name = models.model_name
    where models.is_champion and scores.probability is not null

),

-- the latest of them on or before the day of the assignment: known before it
prior_probabilities as (

    select
        assignments.campaign_id,
        assignments.user_id,
        probabilities.probability,
        row_number() over (
            partition by assignments.campaign_id, assignments.user_id
            order by probabilities.snapshot_date desc, probabilities.probability desc
        ) as recency

    from assignments
    inner join probabilities
        on
            assignments.product_id = probabilities.product_id
            and assignments.user_id = probabilities.user_id
            and probabilities.snapshot_date <= cast(assignments.assigned_at as date)

),

outcomes as (

    select
        assignments.campaign_id,
        assignments.product_id,
        assignments.user_id,
        assignments.assigned_at,
        case when assignments.arm = 'contacted' then 1 else 0 end as is_contacted,
        coalesce(adoptions.adopted_at < assignments.assigned_at, false) as adopted_before,
        case
            when
                adoptions.adopted_at >= assignments.assigned_at
                and adoptions.adopted_at
                < assignments.assigned_at + {{ minutes_interval(horizon * 1440) }}
                and adoptions.adopted_at < data_end.as_of_date
                then cast(1 as double)
            else cast(0 as double)
        end as adopted,
        prior_probabilities.probability as prior_probability

    from assignments
    cross join data_end
    left join adoptions
        on
            assignments.user_id = adoptions.user_id
            and assignments.product_id = adoptions.product_id
    left join prior_probabilities
        on
            assignments.campaign_id = prior_probabilities.campaign_id
            and assignments.user_id = prior_probabilities.user_id
            and prior_probabilities.recency = 1

),

-- a user with no probability before the assignment takes the campaign's mean (the
-- covariate must only be known before; its mean keeps the estimate unbiased)
covariates as (

    select
        *,
        coalesce(
            prior_probability,
            cast(
                avg(cast(prior_probability as decimal(38, 18)))
                    over (partition by campaign_id, product_id)
                as double
            ),
            cast(0 as double)
        ) as x

    from outcomes
    where not adopted_before

),

sums as (

    select
        campaign_id,
        product_id,
        is_contacted,
        count(*) as n,
        sum(adopted) as sum_y,
        -- sums of probabilities as exact decimals: a float sum depends on the order the
        -- rows arrive in, and the same input must give the same numbers to the bit
        {%- for name, term in [
            ('sum_x', 'x'),
            ('sum_xx', 'x * x'),
            ('sum_xy', 'x * adopted'),
            ('sum_prior_probability', 'prior_probability'),
        ] %}
            cast(sum(cast({{ term }} as decimal(38, 18))) as double) as {{ name }},
        {%- endfor %}
        count(prior_probability) as n_with_probability,
        sum(case when prior_probability is not null then adopted else cast(0 as double) end)
            as adopters_with_probability

    from covariates
    group by campaign_id, product_id, is_contacted

),

-- for the intervals: each arm with one adopter and one non-adopter more, at its mean x
augmented_sums as (

    select
        campaign_id,
        product_id,
        is_contacted,
        n + 2 as n,
        sum_y + 1 as sum_y,
        sum_x + 2 * sum_x / n as sum_x,
        sum_xx + 2 * (sum_x / n) * (sum_x / n) as sum_xx,
        sum_xy + sum_x / n as sum_xy

    from sums

),

campaigns as (

    select
        outcomes.campaign_id,
        outcomes.product_id,
        min(outcomes.assigned_at) as first_assigned_at,
        max(outcomes.assigned_at) as last_assigned_at,
        max(outcomes.assigned_at) + {{ minutes_interval(horizon * 1440) }} as horizon_closes_at,
        max(data_end.as_of_date) as as_of_date,
        sum(case when outcomes.adopted_before then 1 else 0 end) as already_adopted_users

    from outcomes
    cross join data_end
    group by outcomes.campaign_id, outcomes.product_id

),

arms as (

    select
        campaigns.*,
        coalesce(contacted.n, 0) as contacted_users,
        coalesce(contacted.sum_y, 0) as contacted_adopters,
        coalesce(holdout.n, 0) as holdout_users,
        coalesce(holdout.sum_y, 0) as holdout_adopters,
        coalesce(contacted.n_with_probability, 0)
        + coalesce(holdout.n_with_probability, 0) as users_with_probability,
        holdout.sum_prior_probability as holdout_expected_adopters,
        holdout.adopters_with_probability as holdout_adopters_with_probability,
        -- within each arm: the mean of x and the slope theta = cov(x, y) / var(x) (0 when x
        -- does not vary); for the intervals, on the augmented arm: its size, its rate, its
        -- slope and the variance of y - theta x (at least 0: rounding)
        {%- for arm in ['contacted', 'holdout'] %}
            {%- set a = arm ~ '_augmented' %}
            {{ arm }}.sum_x / nullif({{ arm }}.n, 0) as mean_x_{{ arm }},
            coalesce(
                ({{ arm }}.sum_xy - {{ arm }}.sum_x * {{ arm }}.sum_y / {{ arm }}.n)
                / nullif({{ arm }}.sum_xx - {{ arm }}.sum_x * {{ arm }}.sum_x / {{ arm }}.n, 0),
                0
            ) as theta_{{ arm }},
            {{ a }}.n as n_{{ a }},
            {{ a }}.sum_y / {{ a }}.n as rate_{{ a }},
            coalesce(
                ({{ a }}.sum_xy - {{ a }}.sum_x * {{ a }}.sum_y / {{ a }}.n)
                / nullif({{ a }}.sum_xx - {{ a }}.sum_x * {{ a }}.sum_x / {{ a }}.n, 0),
                0
            ) as theta_{{ a }},
            ({{ a }}.sum_y - {{ a }}.sum_y * {{ a }}.sum_y / {{ a }}.n) / ({{ a }}.n - 1)
                as var_y_{{ arm }},
            greatest(
                cast(0 as double),
                (
                    {{ a }}.sum_y - {{ a }}.sum_y * {{ a }}.sum_y / {{ a }}.n
                    - coalesce(
                        ({{ a }}.sum_xy - {{ a }}.sum_x * {{ a }}.sum_y / {{ a }}.n)
                        * ({{ a }}.sum_xy - {{ a }}.sum_x * {{ a }}.sum_y / {{ a }}.n)
                        / nullif({{ a }}.sum_xx - {{ a }}.sum_x * {{ a }}.sum_x / {{ a }}.n, 0),
                        0
                    )
                ) / ({{ a }}.n - 1)
            ) as var_residual_{{ arm }},
        {%- endfor %}
        -- the mean of x over both arms, to which each arm's rate is moved
        (contacted.sum_x + holdout.sum_x) / nullif(contacted.n + holdout.n, 0) as mean_x

    from campaigns
    left join sums as contacted
        on
            campaigns.campaign_id = contacted.campaign_id
            and campaigns.product_id = contacted.product_id
            and contacted.is_contacted = 1
    left join sums as holdout
        on
            campaigns.campaign_id = holdout.campaign_id
            and campaigns.product_id = holdout.product_id
            and holdout.is_contacted = 0
    left join augmented_sums as contacted_augmented
        on
            campaigns.campaign_id = contacted_augmented.campaign_id
            and campaigns.product_id = contacted_augmented.product_id
            and contacted_augmented.is_contacted = 1
    left join augmented_sums as holdout_augmented
        on
            campaigns.campaign_id = holdout_augmented.campaign_id
            and campaigns.product_id = holdout_augmented.product_id
            and holdout_augmented.is_contacted = 0

),

estimates as (

    select
        *,
        contacted_adopters / nullif(contacted_users, 0) as contacted_rate,
        holdout_adopters / nullif(holdout_users, 0) as holdout_rate,
        sqrt(
            var_y_contacted / n_contacted_augmented + var_y_holdout / n_holdout_augmented
        ) as uplift_se,
        sqrt(
            var_residual_contacted / n_contacted_augmented
            + var_residual_holdout / n_holdout_augmented
        ) as adjusted_uplift_se,
        -- the log of the rate ratio's standard error (delta method); none without adopters
        case
            when contacted_adopters > 0 and holdout_adopters > 0
                then sqrt(
                    1 / contacted_adopters - 1 / contacted_users
                    + 1 / holdout_adopters - 1 / holdout_users
                )
        end as log_ratio_se

    from arms

),

-- the point estimates and the intervals' centres, each once
effects as (

    select
        *,
        contacted_rate - holdout_rate as uplift,
        (contacted_rate - theta_contacted * (mean_x_contacted - mean_x))
        - (holdout_rate - theta_holdout * (mean_x_holdout - mean_x)) as adjusted_uplift,
        rate_contacted_augmented - rate_holdout_augmented as interval_centre,
        (rate_contacted_augmented - theta_contacted_augmented * (mean_x_contacted - mean_x))
        - (rate_holdout_augmented - theta_holdout_augmented * (mean_x_holdout - mean_x))
            as adjusted_interval_centre,
        case
            when log_ratio_se is not null then ln(contacted_rate / holdout_rate)
        end as log_ratio

    from estimates

),

final as (

    select
        campaign_id,
        product_id,
        first_assigned_at,
        last_assigned_at,
        horizon_closes_at,
        horizon_closes_at <= as_of_date as is_horizon_closed,
        cast(already_adopted_users as bigint) as already_adopted_users,
        cast(contacted_users as bigint) as contacted_users,
        cast(contacted_adopters as bigint) as contacted_adopters,
        contacted_rate,
        cast(holdout_users as bigint) as holdout_users,
        cast(holdout_adopters as bigint) as holdout_adopters,
        holdout_rate,
        uplift,
        interval_centre - {{ z }} * uplift_se as uplift_low,
        interval_centre + {{ z }} * uplift_se as uplift_high,
        contacted_rate / nullif(holdout_rate, 0) - 1 as relative_uplift,
        exp(log_ratio - {{ z }} * log_ratio_se) - 1 as relative_uplift_low,
        exp(log_ratio + {{ z }} * log_ratio_se) - 1 as relative_uplift_high,
        uplift * contacted_users as incremental_adopters,
        (interval_centre - {{ z }} * uplift_se) * contacted_users as incremental_adopters_low,
        (interval_centre + {{ z }} * uplift_se) * contacted_users as incremental_adopters_high,
        cast(users_with_probability as bigint) as users_with_probability,
        adjusted_uplift,
        adjusted_interval_centre - {{ z }} * adjusted_uplift_se as adjusted_uplift_low,
        adjusted_interval_centre + {{ z }} * adjusted_uplift_se as adjusted_uplift_high,
        1 - adjusted_uplift_se / nullif(uplift_se, 0) as interval_narrowing,
        holdout_expected_adopters,
        cast(holdout_adopters_with_probability as bigint) as holdout_adopters_with_probability,
        holdout_expected_adopters / nullif(holdout_adopters_with_probability, 0)
            as holdout_expected_to_realized,
        cast({{ holdout_share }} as double) as expected_holdout_share,
        holdout_users / nullif(contacted_users + holdout_users, 0) as holdout_share,
        (holdout_users - (contacted_users + holdout_users) * {{ holdout_share }})
        / nullif(sqrt((contacted_users + holdout_users) * {{ holdout_share }} * (1 - {{ holdout_share }})), 0)
            as sample_ratio_z

    from effects

)

select
    *,
    coalesce(abs(sample_ratio_z) > 3.29, false) as has_sample_ratio_mismatch

from final
