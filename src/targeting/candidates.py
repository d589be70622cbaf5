"""The three candidate propensity models, each fitted on an encoded matrix.

Every candidate has the same shape: ``fit`` on a matrix (``FeatureEncoder.transform``)
and 0/1 labels, ``score`` (higher = more likely to adopt; used for ranking),
``contributions`` (per row and encoded column, how much it pushed the score up: the
reasons) and ``to_dict``/``from_dict`` (the model as JSON or text, never a pickle).

- ``logistic_regression``: L2 logistic regression with balanced class weights (the
  positives are a few percent), Newton-Cholesky solver. Score: the weighted model's probability;
  contributions: coefficient x standardized value.
- ``lightgbm``: gradient-boosted trees, positives weighted by negatives / positives,
  early stopping on the validation rows (average precision), deterministic settings.
  Score: the weighted model's probability; contributions: LightGBM's own per-feature
  contributions (SHAP values, in log-odds).
- ``lookalike``: needs no negatives. The adopters' profile is their mean in the
  standardized space; each feature's weight is that mean (how far adopters stand from
  everyone, in standard deviations), shrunk towards 0 by ``shrinkage / sqrt(positives)``
  so that a handful of adopters cannot make noise look like a profile. Score: the row's
  similarity to the profile, sum(weight x value); contributions: weight x value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression

from targeting.threads import cores

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "logistic_regression": {"C": 0.1, "max_iter": 100},
    "lightgbm": {
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 50,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "max_rounds": 1000,
        "early_stopping_rounds": 50,
        # rounds when there is no validation adopter to stop on
        "default_rounds": 200,
        # one thread: these data are small, and a second thread competing with another
        # model dbt runs at the same time made each round 100x slower
        "num_threads": 1,
    },
    "lookalike": {"shrinkage": 1.0},
}
MODEL_NAMES = tuple(DEFAULT_PARAMS)


class Candidate(Protocol):
    name: ClassVar[str]

    def score(self, matrix: np.ndarray) -> np.ndarray: ...

    def contributions(self, matrix: np.ndarray) -> np.ndarray: ...

    def to_dict(self) -> dict[str, Any]: ...


def merge_params(name: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """The model's default parameters with the user's overrides (unknown keys fail)."""
    params = dict(DEFAULT_PARAMS[name])
    unknown = sorted(set(overrides or {}) - set(params))
    if unknown:
        raise ValueError(
            f"targeting: unknown {name} parameter(s) {', '.join(unknown)} in var "
            f"targeting__model_params; known: {', '.join(sorted(params))}"
        )
    params.update(overrides or {})
    return params


@dataclass
class LogisticModel:
    name: ClassVar[str] = "logistic_regression"
    coefficients: list[float]
    intercept: float

    @classmethod
    def fit(
        cls,
        matrix: np.ndarray,
        labels: np.ndarray,
        params: dict[str, Any],
        seed: int,
        sample_weight: np.ndarray | None = None,
    ) -> LogisticModel:
        # Newton steps on the (few) columns: a handful of iterations, where lbfgs needs
        # hundreds on correlated, one-hot encoded features.
        model = LogisticRegression(
            C=float(params["C"]),
            class_weight="balanced" if sample_weight is None else None,
            solver="newton-cholesky",
            max_iter=int(params["max_iter"]),
            random_state=seed,
        )
        if sample_weight is None:
            model.fit(matrix, labels)
        else:
            # "balanced" over the population the weighted sample stands for
            totals = np.array([sample_weight[labels == 0].sum(), sample_weight[labels == 1].sum()])
            class_weight = totals.sum() / (2 * totals)
            model.fit(matrix, labels, sample_weight=sample_weight * class_weight[labels])
        return cls(model.coef_[0].tolist(), float(model.intercept_[0]))

    def score(self, matrix: np.ndarray) -> np.ndarray:
        # a row-wise sum of the contributions, not a BLAS product: the same bits whatever
        # the number of rows scored at once
        return _sigmoid(self.contributions(matrix).sum(axis=1) + self.intercept)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        return matrix * np.asarray(self.coefficients)

    def to_dict(self) -> dict[str, Any]:
        return {"coefficients": self.coefficients, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticModel:
        return cls(data["coefficients"], data["intercept"])


@dataclass
class LightGBMModel:
    name: ClassVar[str] = "lightgbm"
    booster: lgb.Booster
    best_iteration: int

    @classmethod
    def fit(
        cls,
        matrix: np.ndarray,
        labels: np.ndarray,
        params: dict[str, Any],
        seed: int,
        validation: tuple[np.ndarray, np.ndarray] | None = None,
        sample_weight: np.ndarray | None = None,
        validation_weight: np.ndarray | None = None,
    ) -> LightGBMModel:
        """Fit, early-stopped on ``validation`` (matrix, labels) when it holds an adopter;
        ``sample_weight`` (a sample's row weights) weighs the rows and the classes."""
        if sample_weight is None:
            n_negative, n_positive = len(labels) - int(labels.sum()), int(labels.sum())
        else:
            n_negative = sample_weight[labels == 0].sum()
            n_positive = sample_weight[labels == 1].sum()
        booster_params = {
            "objective": "binary",
            "learning_rate": params["learning_rate"],
            "num_leaves": params["num_leaves"],
            "min_data_in_leaf": params["min_data_in_leaf"],
            "feature_fraction": params["feature_fraction"],
            "bagging_fraction": params["bagging_fraction"],
            "bagging_freq": params["bagging_freq"],
            "lambda_l2": params["lambda_l2"],
            "scale_pos_weight": n_negative / max(n_positive, 1),
            "metric": "average_precision",
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": params["num_threads"],
            "verbosity": -1,
        }
        # binned on every core (the same bins whatever the threads), before lgb.train would
        # bin them on the boosting's one thread
        binning = {**booster_params, "num_threads": cores()}
        train_set = lgb.Dataset(
            matrix, labels, weight=sample_weight, params=binning, free_raw_data=True
        ).construct()
        if validation is not None and validation[1].sum() > 0:
            valid_set = lgb.Dataset(
                validation[0],
                validation[1],
                weight=validation_weight,
                reference=train_set,
                params=binning,
            ).construct()
            booster = lgb.train(
                booster_params,
                train_set,
                num_boost_round=int(params["max_rounds"]),
                valid_sets=[valid_set],
                callbacks=[lgb.early_stopping(int(params["early_stopping_rounds"]), verbose=False)],
            )
            best = booster.best_iteration or booster.current_iteration()
        else:
            best = int(params["default_rounds"])
            booster = lgb.train(booster_params, train_set, num_boost_round=best)
        return cls(booster, int(best))

    @classmethod
    def fit_rounds(
        cls, matrix: np.ndarray, labels: np.ndarray, params: dict[str, Any], seed: int, rounds: int
    ) -> LightGBMModel:
        """A fit with a fixed number of rounds (no early stopping)."""
        return cls.fit(matrix, labels, {**params, "default_rounds": rounds}, seed, None)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        # each row scored by one thread: every core gives the same bits
        return self.booster.predict(matrix, num_iteration=self.best_iteration, num_threads=cores())

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        # SHAP values cost far more than scores; each row's are computed by one thread, so
        # every core gives the same bits. The last column is the expected value (the same
        # for every row), not a feature.
        return self.booster.predict(
            matrix, num_iteration=self.best_iteration, pred_contrib=True, num_threads=cores()
        )[:, :-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_iteration": self.best_iteration,
            "model_text": self.booster.model_to_string(num_iteration=self.best_iteration),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LightGBMModel:
        return cls(lgb.Booster(model_str=data["model_text"]), int(data["best_iteration"]))


@dataclass
class LookalikeModel:
    name: ClassVar[str] = "lookalike"
    weights: list[float]
    n_positives: int

    @classmethod
    def fit(
        cls,
        matrix: np.ndarray,
        positive: np.ndarray,
        params: dict[str, Any],
        sample_weight: np.ndarray | None = None,
    ) -> LookalikeModel:
        """``matrix`` is everyone (standardized), ``positive`` marks the adopters' rows;
        ``sample_weight`` (a sample's row weights) makes the profile the population's. The
        shrinkage counts the adopter rows seen, not their weight: that is the noise."""
        n_positive = int(positive.sum())
        if n_positive == 0:
            raise ValueError("the lookalike needs at least one adopter")
        if sample_weight is None:
            profile = matrix[positive].mean(axis=0)
        else:
            profile = np.average(matrix[positive], axis=0, weights=sample_weight[positive])
        threshold = float(params["shrinkage"]) / np.sqrt(n_positive)
        weights = np.sign(profile) * np.maximum(np.abs(profile) - threshold, 0.0)
        return cls(weights.tolist(), n_positive)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        return self.contributions(matrix).sum(axis=1)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        return matrix * np.asarray(self.weights)

    def to_dict(self) -> dict[str, Any]:
        return {"weights": self.weights, "n_positives": self.n_positives}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LookalikeModel:
        return cls(data["weights"], int(data["n_positives"]))


MODEL_CLASSES: dict[str, type] = {
    LogisticModel.name: LogisticModel,
    LightGBMModel.name: LightGBMModel,
    LookalikeModel.name: LookalikeModel,
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))
