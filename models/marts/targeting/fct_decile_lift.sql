{{ config(**per_model_evaluation('model_trained_at')) }}

-- Decile lift and cumulative gains on the out-of-time test, per product and model: the
-- test snapshot's eligible users ranked by score (ties by user_id), cut into ten equal
-- deciles (NTILE; decile 1 = the highest scores). Lift is a decile's adoption rate over
-- the test base rate; cumulative gain the share of all test adopters found in deciles
-- 1..d; expected adopters what the calibrated probabilities promised (macro
-- ranked_test_buckets, shared with fct_gains_curve).

{{ ranked_test_buckets(10, 'decile') }}
