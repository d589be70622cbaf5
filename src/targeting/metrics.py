"""Ranking metrics of an out-of-time test, defined as the SQL marts define them.

Rows are ranked by score, highest first, ties broken by ``user_id`` ascending, so every
position is deterministic. Deciles are NTILE(10) over that order (decile 1 = the first
ceil(n / 10) rows). AUC-ROC and PR-AUC (average precision) come from scikit-learn, where
tied scores share a threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def ranking_order(score: np.ndarray, user_ids: np.ndarray) -> np.ndarray:
    """Row positions from best to worst: score descending, then user_id ascending."""
    return np.lexsort((np.asarray(user_ids).astype(str), -np.asarray(score, dtype="float64")))


def deciles(n_rows: int) -> np.ndarray:
    """NTILE(10) of positions 0..n-1: the first n % 10 deciles hold one row more."""
    size, extra = divmod(n_rows, 10)
    bounds = np.cumsum([size + (1 if d < extra else 0) for d in range(10)])
    return np.searchsorted(bounds, np.arange(n_rows), side="right") + 1


def evaluate(
    labels: np.ndarray,
    score: np.ndarray,
    user_ids: np.ndarray,
    top_k: int,
    probability: np.ndarray | None = None,
) -> dict[str, Any]:
    """Metrics on one test snapshot; undefined ones (a single class) are None."""
    labels = np.asarray(labels, dtype="int64")
    n_rows, n_positives = len(labels), int(labels.sum())
    metrics: dict[str, Any] = {
        "n_test_rows": n_rows,
        "n_test_positives": n_positives,
        "test_base_rate": n_positives / n_rows if n_rows else None,
        "auc_roc": None,
        "pr_auc": None,
        "precision_at_k": None,
        "recall_at_k": None,
        "ndcg_at_k": None,
        "top_decile_lift": None,
        "brier_score": None,
    }
    if n_rows == 0:
        return metrics
    ranked = labels[ranking_order(score, user_ids)]
    k = min(top_k, n_rows)
    metrics["precision_at_k"] = float(ranked[:k].mean())
    if probability is not None and not np.isnan(probability).any():
        metrics["brier_score"] = float(brier_score_loss(labels, probability))
    if 0 < n_positives < n_rows:
        metrics["auc_roc"] = float(roc_auc_score(labels, score))
        metrics["pr_auc"] = float(average_precision_score(labels, score))
    if n_positives > 0:
        metrics["recall_at_k"] = float(ranked[:k].sum() / n_positives)
        gains = 1.0 / np.log2(np.arange(2, k + 2))
        ideal = gains[: min(k, n_positives)].sum()
        metrics["ndcg_at_k"] = float((ranked[:k] * gains).sum() / ideal)
        top = ranked[deciles(n_rows) == 1]
        metrics["top_decile_lift"] = float(top.mean() / (n_positives / n_rows))
    return metrics
