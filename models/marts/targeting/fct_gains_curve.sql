{{ config(**per_model_evaluation('model_trained_at')) }}

-- The gains curve of the out-of-time test at any list size, per product and model: the
-- test snapshot's eligible users ranked by score (ties by user_id), cut into 100 equal
-- percentiles (NTILE; percentile 1 = the highest scores), with the cumulative users,
-- adopters, gain, precision and lift from percentile 1 down. "Lift at 1,000 users" is
-- the first row whose cumulative_users reaches 1,000 (macro ranked_test_buckets,
-- shared with fct_decile_lift).

{{ ranked_test_buckets(100, 'percentile') }}
