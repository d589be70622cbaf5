"""evaluate() on small hand-checked rankings and against scikit-learn; NTILE deciles; tie order."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from targeting.metrics import deciles, evaluate, ranking_order

METRIC_KEYS = {
    "n_test_rows",
    "n_test_positives",
    "test_base_rate",
    "auc_roc",
    "pr_auc",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "top_decile_lift",
    "brier_score",
}


def ntile(n_rows: int, buckets: int = 10) -> list[int]:
    """SQL NTILE(buckets) over n_rows ordered rows, written out the way the standard says."""
    out = []
    size, extra = divmod(n_rows, buckets)
    for bucket in range(1, buckets + 1):
        out += [bucket] * (size + (1 if bucket <= extra else 0))
    return out


def test_ranking_order_is_score_descending_then_user_id_ascending():
    score = np.array([0.5, 0.9, 0.5, 0.1, 0.5])
    user_ids = np.array(["c", "z", "a", "b", "b"])

    assert ranking_order(score, user_ids).tolist() == [1, 2, 4, 0, 3]


def test_ranking_order_compares_user_ids_as_text():
    # user_id is varchar in the warehouse: "10" sorts before "9"
    assert ranking_order(np.zeros(3), np.array([9, 10, 100])).tolist() == [1, 2, 0]


def test_ranking_order_does_not_depend_on_the_row_order():
    rng = np.random.default_rng(0)
    score = rng.integers(0, 4, 50).astype(float)
    user_ids = np.array([f"u{i:03d}" for i in range(50)])
    permutation = rng.permutation(50)

    ranked = user_ids[ranking_order(score, user_ids)]
    shuffled = user_ids[permutation][ranking_order(score[permutation], user_ids[permutation])]
    assert ranked.tolist() == shuffled.tolist()


@pytest.mark.parametrize(
    ("n_rows", "expected"),
    [
        (25, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]),
        (10, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        (7, [1, 2, 3, 4, 5, 6, 7]),
        (0, []),
    ],
)
def test_deciles_are_ntile_10(n_rows, expected):
    assert deciles(n_rows).tolist() == expected


def test_deciles_agree_with_ntile_for_every_size_up_to_250():
    for n_rows in range(251):
        assert deciles(n_rows).tolist() == ntile(n_rows), n_rows


def test_auc_and_pr_auc_equal_scikit_learn_with_ties():
    rng = np.random.default_rng(3)
    labels = (rng.random(300) < 0.15).astype("int64")
    # rounded scores: many ties, some between a positive and a negative
    score = np.round(rng.random(300) + 0.3 * labels, 1)
    user_ids = np.array([f"u{i:03d}" for i in range(300)])
    metrics = evaluate(labels, score, user_ids, top_k=30)

    assert abs(metrics["auc_roc"] - roc_auc_score(labels, score)) < 1e-12
    assert abs(metrics["pr_auc"] - average_precision_score(labels, score)) < 1e-12
    assert isinstance(metrics["auc_roc"], float)
    assert set(metrics) == METRIC_KEYS


def test_counts_and_base_rate():
    metrics = evaluate(np.array([1, 0, 0, 1, 0]), np.arange(5.0), np.arange(5), top_k=2)

    assert metrics["n_test_rows"] == 5
    assert metrics["n_test_positives"] == 2
    assert metrics["test_base_rate"] == pytest.approx(0.4)


def test_precision_and_recall_at_k_by_hand():
    # ranked by score: u1(1) u2(0) u3(1) u4(0) u5(0) u6(1) u7(0) u8(0)
    labels = np.array([1, 0, 1, 0, 0, 1, 0, 0])
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    user_ids = np.array([f"u{i}" for i in range(1, 9)])
    metrics = evaluate(labels, score, user_ids, top_k=4)

    assert metrics["precision_at_k"] == pytest.approx(2 / 4)
    assert metrics["recall_at_k"] == pytest.approx(2 / 3)


def test_k_larger_than_the_rows_is_all_the_rows():
    labels = np.array([1, 0, 1])
    metrics = evaluate(labels, np.array([0.3, 0.2, 0.1]), np.array(["a", "b", "c"]), top_k=500)

    assert metrics["precision_at_k"] == pytest.approx(2 / 3)
    assert metrics["recall_at_k"] == 1.0
    # DCG = 1 + 1/log2(4); the ideal puts both adopters first: 1 + 1/log2(3)
    assert metrics["ndcg_at_k"] == pytest.approx((1 + 1 / 2) / (1 + 1 / math.log2(3)))


def test_ndcg_at_k_by_hand_with_ties_broken_by_user_id():
    # u2 (adopter) and u1 (not) tie at 0.8; u1 goes first: ranks u3 u1 u2 u4 u5
    labels = np.array([0, 1, 1, 0, 1])
    score = np.array([0.8, 0.8, 0.9, 0.1, 0.05])
    user_ids = np.array(["u1", "u2", "u3", "u4", "u5"])
    metrics = evaluate(labels, score, user_ids, top_k=3)

    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics["ndcg_at_k"] == pytest.approx(dcg / ideal)
    assert metrics["precision_at_k"] == pytest.approx(2 / 3)
    # the other tie order would rank the adopter second
    swapped = evaluate(labels, score, np.array(["u2", "u1", "u3", "u4", "u5"]), top_k=3)
    assert swapped["ndcg_at_k"] == pytest.approx((1 + 1 / math.log2(3)) / ideal)
    # ties never move AUC: scikit-learn shares the threshold
    assert swapped["auc_roc"] == metrics["auc_roc"]


def test_ndcg_ideal_is_capped_by_the_number_of_adopters():
    labels = np.array([0, 1, 0, 0])
    metrics = evaluate(labels, np.array([0.4, 0.3, 0.2, 0.1]), np.arange(4), top_k=3)

    assert metrics["ndcg_at_k"] == pytest.approx(1 / math.log2(3))
    perfect = evaluate(labels, np.array([0.1, 0.9, 0.2, 0.0]), np.arange(4), top_k=3)
    assert perfect["ndcg_at_k"] == 1.0


def test_top_decile_lift_with_ntile_deciles_of_25_rows():
    # 25 rows: decile 1 is the first 3 ranked rows; 5 adopters in all, 2 of them in the top 3
    labels = np.zeros(25, dtype="int64")
    labels[[0, 2, 10, 20, 24]] = 1
    score = -np.arange(25.0)
    user_ids = np.array([f"u{i:02d}" for i in range(25)])
    metrics = evaluate(labels, score, user_ids, top_k=5)

    assert metrics["top_decile_lift"] == pytest.approx((2 / 3) / (5 / 25))


def test_top_decile_lift_with_fewer_than_10_rows_is_the_first_row():
    labels = np.array([1, 0, 0, 1, 0, 0, 0])
    metrics = evaluate(labels, -np.arange(7.0), np.arange(7), top_k=2)

    assert metrics["top_decile_lift"] == pytest.approx(1 / (2 / 7))


def test_top_decile_lift_with_10_rows():
    labels = np.array([0, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    metrics = evaluate(labels, -np.arange(10.0), np.arange(10), top_k=2)

    assert metrics["top_decile_lift"] == 0.0


def test_brier_score_only_with_a_probability_without_nan():
    labels = np.array([1, 0, 0, 1])
    score = np.array([0.9, 0.2, 0.4, 0.6])
    probability = np.array([0.7, 0.1, 0.3, 0.4])

    with_probability = evaluate(labels, score, np.arange(4), 2, probability)
    assert with_probability["brier_score"] == pytest.approx(brier_score_loss(labels, probability))
    assert evaluate(labels, score, np.arange(4), 2)["brier_score"] is None
    nan_probability = np.array([0.7, np.nan, 0.3, 0.4])
    assert evaluate(labels, score, np.arange(4), 2, nan_probability)["brier_score"] is None


def test_a_test_without_adopters_leaves_the_adopter_metrics_undefined():
    metrics = evaluate(np.zeros(5), np.arange(5.0), np.arange(5), top_k=2, probability=np.ones(5))

    assert metrics["auc_roc"] is None
    assert metrics["pr_auc"] is None
    assert metrics["recall_at_k"] is None
    assert metrics["ndcg_at_k"] is None
    assert metrics["top_decile_lift"] is None
    assert metrics["precision_at_k"] == 0.0
    assert metrics["test_base_rate"] == 0.0
    assert metrics["brier_score"] == 1.0


def test_a_test_where_everyone_adopted_has_no_auc_but_ranking_metrics():
    metrics = evaluate(np.ones(5), np.arange(5.0), np.arange(5), top_k=2)

    assert metrics["auc_roc"] is None
    assert metrics["pr_auc"] is None
    assert metrics["precision_at_k"] == 1.0
    assert metrics["recall_at_k"] == pytest.approx(2 / 5)
    assert metrics["ndcg_at_k"] == 1.0
    assert metrics["top_decile_lift"] == 1.0


def test_empty_input_gives_zero_counts_and_no_metric():
    metrics = evaluate(np.array([]), np.array([]), np.array([]), top_k=10)

    assert metrics == {
        "n_test_rows": 0,
        "n_test_positives": 0,
        **dict.fromkeys(METRIC_KEYS - {"n_test_rows", "n_test_positives"}),
    }
