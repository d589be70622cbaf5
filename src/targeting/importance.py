"""How much each fitted model relies on each input feature, read from the stored fits.

What ``ml_feature_importances`` holds (and, on Spark, ``targeting.spark_ml`` writes): per
product, fitted model and input feature, an importance read from the model's JSON alone
(no row is scored, so it costs milliseconds and is the same on every run and engine):

- ``logistic_regression``: |coefficient| of the standardized column, i.e. |raw
  coefficient| x the column's standard deviation: log-odds per standard deviation;
- ``lookalike``: |weight|, the adopters' shrunk profile in standard deviations (its score
  is sum(weight x standardized value), so the same unit as the regression's);
- ``lightgbm``: the total gain of the splits on the column (LightGBM's ``gain``);
- ``ensemble``: the mean of its members' shares (each member weighs half of the mean of
  probabilities, and their units cannot be added).

Encoded columns are summed into the input feature they come from, the names of
``fct_feature_snapshots``: a numeric feature with its ``<feature>=missing`` indicator, a
text feature with its ``<feature>=<level>`` indicators; each latent factor
(``latent_1`` ...) is a feature of its own. A feature the encoder dropped (constant on
the fit rows) has no row: the model cannot use it. Shares are over all of a model's
input features (they sum to 1), null when the model gives no weight to any (a lookalike
whose profile the shrinkage took to 0); rank 1 is the largest share, ties by name.
The fit is the one that scores the score snapshot (the champion's scoring fit) when the
row has one, else the evaluation fit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from targeting.candidates import (
    MODEL_CLASSES,
    EnsembleModel,
    LightGBMModel,
    LogisticModel,
    LookalikeModel,
)
from targeting.encoding import FeatureEncoder

IMPORTANCE_TYPES = {
    "product_id": "varchar",
    "model_name": "varchar",
    "is_champion": "boolean",
    "fit": "varchar",
    "feature": "varchar",
    "importance": "double",
    "importance_share": "double",
    "importance_rank": "bigint",
}


def input_feature(column: str) -> str:
    """The input feature an encoded column comes from (``plan=pro`` -> ``plan``)."""
    return column.split("=", 1)[0]


def column_importances(model: Any) -> np.ndarray:
    """Per encoded column, the model's importance in its own unit (see the module)."""
    if isinstance(model, EnsembleModel):
        shares = [_shares(column_importances(member)) for member, _ in model.members]
        return np.mean(np.vstack(shares), axis=0)
    if isinstance(model, LightGBMModel):
        return np.asarray(model.booster.feature_importance(importance_type="gain"), dtype=float)
    if isinstance(model, LogisticModel):
        return np.abs(np.asarray(model.coefficients, dtype=float))
    if isinstance(model, LookalikeModel):
        return np.abs(np.asarray(model.weights, dtype=float))
    raise TypeError(f"no importance for {type(model).__name__}")


def _shares(importances: np.ndarray) -> np.ndarray:
    """Each column's share of the total (all zeros when the total is 0)."""
    total = importances.sum()
    return importances / total if total > 0 else np.zeros_like(importances)


def feature_importances(names: Sequence[str], importances: np.ndarray) -> pd.DataFrame:
    """Encoded columns' importances summed by input feature: feature, importance,
    importance_share, importance_rank (rank 1 the largest share, ties by name)."""
    frame = pd.DataFrame(
        {"feature": [input_feature(name) for name in names], "importance": importances}
    )
    frame = frame.groupby("feature", sort=True, as_index=False)["importance"].sum()
    total = frame["importance"].sum()
    frame["importance_share"] = frame["importance"] / total if total > 0 else np.nan
    order = frame.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
    frame.loc[order.index, "importance_rank"] = np.arange(1, len(frame) + 1)
    return frame.astype({"importance_rank": "int64"})


def fit_importances(artifact: Mapping[str, Any] | str) -> pd.DataFrame:
    """``feature_importances`` of one stored fit (a model column's JSON)."""
    data = json.loads(artifact) if isinstance(artifact, str) else artifact
    encoder = FeatureEncoder.from_dict(data["encoder"])
    model = MODEL_CLASSES[data["model_name"]].from_dict(data["model"])
    return feature_importances(encoder.names, column_importances(model))


def model_importances(models: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``IMPORTANCE_TYPES``: every fitted row of ``ml_propensity_models``, from the
    fit that scores the score snapshot when it has one, else its evaluation fit; in
    product, model and rank order."""
    frames = []
    for row in models.sort_values(["product_id", "model_name"]).itertuples():
        if row.status != "ok":
            continue
        fit = "scoring" if isinstance(row.scoring_model, str) else "evaluation"
        artifact = row.scoring_model if fit == "scoring" else row.evaluation_model
        if not isinstance(artifact, str):
            continue
        frame = fit_importances(artifact).sort_values("importance_rank")
        frames.append(
            frame.assign(
                product_id=row.product_id,
                model_name=row.model_name,
                is_champion=bool(row.is_champion),
                fit=fit,
            )
        )
    if not frames:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in IMPORTANCE_TYPES})
    return pd.concat(frames, ignore_index=True)[list(IMPORTANCE_TYPES)]
