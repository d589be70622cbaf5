-- The products to target: every product with a valid adoption, or those listed in var
-- targeting__products. A listed product nobody validly adopted fails the build; no
-- product at all warns (warn_when_no_products).

{{ config(post_hook="{{ warn_when_no_products() }}") }}

{%- set requested = products_var() %}

with

adoptions as (

    select * from {{ ref('int_adoptions_validated') }}
    where dq_issue is null

),

adopted_products as (

    select
        product_id,
        count(*) as n_adopters,
        min(adopted_at) as first_adopted_at,
        max(adopted_at) as last_adopted_at

    from adoptions
    group by product_id

),

requested_products as (

    {% if requested | length > 0 -%}
        select requested.product_id
        from (values {% for product_id in requested %}('{{ product_id }}'){{ ', ' if not loop.last }}{% endfor %}) as requested (product_id)
    {%- else -%}
        select product_id from adopted_products
    {%- endif %}

),

known_products as (

    select {{ sorted_string_agg('product_id', "', '") }} as product_ids

    from adopted_products

),

unknown_products as (

    select {{ sorted_string_agg('requested_products.product_id', "', '") }} as product_ids

    from requested_products
    anti join adopted_products
        on requested_products.product_id = adopted_products.product_id

),

final as (

    -- driven by the requested products, so the check runs even when none of them is known
    select
        requested_products.product_id,
        adopted_products.n_adopters,
        adopted_products.first_adopted_at,
        adopted_products.last_adopted_at

    from requested_products
    left join adopted_products
        on requested_products.product_id = adopted_products.product_id
    cross join unknown_products
    cross join known_products
    where
        case
            when unknown_products.product_ids is not null
                then {{ raise_sql_error(
                    "'targeting: var targeting__products names ' || unknown_products.product_ids
                    || ', which no valid adoption has; known products: '
                    || coalesce(known_products.product_ids, 'none')"
                ) }}
            else true
        end

)

select * from final
