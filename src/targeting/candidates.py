"""The four candidate propensity models, each fitted on an encoded matrix.

Every candidate has the same shape: ``fit`` on a matrix (``FeatureEncoder.transform``)
and 0/1 labels, ``score`` (higher = more likely to adopt; used for ranking),
``contributions`` (per row and encoded column, how much it pushed the score up: the
reasons) and ``to_dict``/``from_dict`` (the model as JSON or text, never a pickle).

- ``logistic_regression``: L2 logistic regression with balanced class weights (the
  positives are a few percent), Newton-Cholesky solver. Score: the weighted model's probability;
  contributions: coefficient x standardized value.
- ``lightgbm``: gradient-boosted trees, every row weighing the same (``class_weight``
  ``none``; ``balanced`` weighs positives by negatives / positives), early stopping on
  the validation rows (average precision), deterministic settings. Score: the model's
  probability; contributions: LightGBM's own per-feature contributions (SHAP values, in
  log-odds). Its settings and rounds are chosen from a small ``grid`` (each entry
  overrides some of the settings above it; the first is those settings themselves) by
  PR-AUC on tuning rows, which also early-stop each entry's fit (``search``;
  ``training`` says which rows).
- ``ensemble``: the mean of the calibrated probabilities of ``logistic_regression`` and
  ``lightgbm`` (fitted on the same rows); each member keeps its own calibration, so the
  mean is a mean of probabilities, not of incomparable scores. Contributions: each
  member's, on its calibrated log-odds scale (its calibration slope times its
  contributions), averaged.
- ``lookalike``: needs no negatives. The adopters' profile is their mean in the
  standardized space; each feature's weight is that mean (how far adopters stand from
  everyone, in standard deviations), shrunk towards 0 by ``shrinkage / sqrt(positives)``
  so that a handful of adopters cannot make noise look like a profile. Score: the row's
  similarity to the profile, sum(weight x value); contributions: weight x value.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from targeting.calibration import apply_calibration, calibrated_slope
from targeting.threads import lightgbm_threads

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "logistic_regression": {"C": 0.1, "max_iter": 100},
    "lightgbm": {
        "learning_rate": 0.03,
        "num_leaves": 7,
        "min_data_in_leaf": 100,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        # "none": every row weighs the same, so the trees rank by the adopters' true odds and
        # the score is a probability; "balanced": each adopter weighs non-adopters /
        # adopters (with a few percent adopters, 47 to 70 on the demo, that made early
        # stopping halt after 5 to 87 rounds and ranked worse out of time; README, "Models")
        "class_weight": "none",
        "max_rounds": 1000,
        "early_stopping_rounds": 100,
        # rounds when there is no tuning adopter to stop on
        "default_rounds": 300,
        # tried in this order, the best tuning PR-AUC kept (the first on a tie); [] or [{}]
        # keeps the settings above: small trees learning slowly, then larger ones learning
        # fast (more leaves for interactions, fewer rows per leaf, fewer rounds)
        "grid": [
            {},
            {
                "learning_rate": 0.1,
                "num_leaves": 15,
                "min_data_in_leaf": 50,
                "early_stopping_rounds": 30,
                "default_rounds": 100,
            },
        ],
    },
    "ensemble": {},
    "lookalike": {"shrinkage": 1.0},
}
MODEL_NAMES = tuple(DEFAULT_PARAMS)
CLASS_WEIGHTS = ("none", "balanced")
# LightGBM boosts on one thread, not a setting: these data are small, a second thread
# competing with another model made each round 100x slower, and LightGBM's thread count is
# process-wide, so products boosting side by side must all ask for the same (threads.py)
BOOSTING_THREADS = 1


class Candidate(Protocol):
    name: ClassVar[str]

    def score(self, matrix: np.ndarray) -> np.ndarray: ...

    def contributions(self, matrix: np.ndarray) -> np.ndarray: ...

    def to_dict(self) -> dict[str, Any]: ...


def merge_params(name: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """The model's default parameters with the user's overrides (unknown keys fail)."""
    params = dict(DEFAULT_PARAMS[name])
    _check_keys(name, overrides or {}, params)
    params.update(overrides or {})
    grid = params.get("grid")
    if grid is not None:
        if not isinstance(grid, list) or not all(isinstance(entry, dict) for entry in grid):
            raise ValueError(
                f"targeting: the {name} grid in var targeting__model_params must be a list of "
                "mappings of settings, such as [{}, {num_leaves: 31}]"
            )
        for entry in grid:
            _check_keys(name, entry, {key: value for key, value in params.items() if key != "grid"})
    return params


def grid_settings(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The settings of each grid entry (the parameters without the grid, then the entry)."""
    base = {key: value for key, value in params.items() if key != "grid"}
    return [{**base, **entry} for entry in params.get("grid") or [{}]]


def _check_keys(name: str, given: dict[str, Any], known: dict[str, Any]) -> None:
    if name == "lightgbm" and "num_threads" in given:
        raise ValueError(
            "targeting: num_threads is not a lightgbm setting in var targeting__model_params: "
            "each product boosts on one thread and the products train side by side, one per "
            "core; remove it"
        )
    if name == "lightgbm" and given.get("class_weight", "none") not in CLASS_WEIGHTS:
        raise ValueError(
            f"targeting: lightgbm class_weight {given['class_weight']!r} in var "
            f"targeting__model_params is not one of {', '.join(CLASS_WEIGHTS)}"
        )
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(
            f"targeting: unknown {name} parameter(s) {', '.join(unknown)} in var "
            f"targeting__model_params; known: {', '.join(sorted(known)) or 'none'}"
        )


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


# the settings of a grid entry that go to LightGBM as they are
BOOSTER_SETTINGS = (
    "learning_rate",
    "num_leaves",
    "min_data_in_leaf",
    "feature_fraction",
    "bagging_fraction",
    "bagging_freq",
    "lambda_l2",
)


def booster_params(settings: dict[str, Any], seed: int, balanced_weight: float) -> dict[str, Any]:
    """LightGBM's parameters for one grid entry's ``settings`` (``grid_settings``): the
    fixed ones (binary, deterministic, one boosting thread) and the entry's; an adopter
    weighs ``balanced_weight`` (non-adopters / adopters) under ``class_weight: balanced``,
    1 under ``none``."""
    balanced = settings.get("class_weight", "none") == "balanced"
    return {
        **_Datasets.booster_params_of(seed, balanced_weight if balanced else 1.0),
        **{name: settings[name] for name in BOOSTER_SETTINGS},
        "num_threads": BOOSTING_THREADS,
    }


@dataclass
class _Datasets:
    """LightGBM's binned training rows, and validation rows when they hold an adopter."""

    train_set: lgb.Dataset
    valid_set: lgb.Dataset | None
    scale_pos_weight: float

    @staticmethod
    def booster_params_of(seed: int, scale_pos_weight: float) -> dict[str, Any]:
        return {
            "objective": "binary",
            "scale_pos_weight": scale_pos_weight,
            "metric": "average_precision",
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            # the bins do not depend on min_data_in_leaf, so that one binning serves a grid
            "feature_pre_filter": False,
            "verbosity": -1,
        }

    @classmethod
    def build(
        cls,
        matrix: np.ndarray,
        labels: np.ndarray,
        seed: int,
        validation: tuple[np.ndarray, np.ndarray] | None,
        sample_weight: np.ndarray | None,
        validation_weight: np.ndarray | None,
    ) -> _Datasets:
        if sample_weight is None:
            n_negative, n_positive = len(labels) - int(labels.sum()), int(labels.sum())
        else:
            n_negative = sample_weight[labels == 0].sum()
            n_positive = sample_weight[labels == 1].sum()
        scale_pos_weight = n_negative / max(n_positive, 1)
        # binned on every core (the same bins whatever the threads) unless another product
        # trains beside this one, before lgb.train would bin them on the boosting's thread
        binning = {
            **cls.booster_params_of(seed, scale_pos_weight),
            "num_threads": lightgbm_threads(),
        }
        train_set = lgb.Dataset(
            matrix, labels, weight=sample_weight, params=binning, free_raw_data=True
        ).construct()
        valid_set = None
        if validation is not None and validation[1].sum() > 0:
            valid_set = lgb.Dataset(
                validation[0],
                validation[1],
                weight=validation_weight,
                reference=train_set,
                params=binning,
            ).construct()
        return cls(train_set, valid_set, scale_pos_weight)


@dataclass
class LightGBMModel:
    name: ClassVar[str] = "lightgbm"
    booster: lgb.Booster
    best_iteration: int
    # the weight of an adopter relative to a non-adopter in the fit (1: unweighted)
    positive_weight: float = 1.0

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
        """Fit with ``params`` (its grid ignored), early-stopped on ``validation`` (matrix,
        labels) when it holds an adopter; ``sample_weight`` (a sample's row weights) weighs
        the rows and the classes."""
        data = _Datasets.build(matrix, labels, seed, validation, sample_weight, validation_weight)
        return cls._fit(data, params, seed)

    @classmethod
    def search(
        cls,
        matrix: np.ndarray,
        labels: np.ndarray,
        params: dict[str, Any],
        seed: int,
        validation: tuple[np.ndarray, np.ndarray],
        sample_weight: np.ndarray | None = None,
        validation_weight: np.ndarray | None = None,
    ) -> tuple[LightGBMModel, dict[str, Any], list[float | None]]:
        """The fit of the grid entry with the best validation PR-AUC (the first on a tie):
        (model, its settings, every entry's validation PR-AUC). Without a validation adopter
        nothing can be compared: the first entry is fitted, and the list holds its None.
        The rows are binned once for the whole grid."""
        data = _Datasets.build(matrix, labels, seed, validation, sample_weight, validation_weight)
        grid = grid_settings(params)
        if data.valid_set is None:
            return cls._fit(data, grid[0], seed), grid[0], [None]
        best: tuple[float, LightGBMModel, dict[str, Any]] | None = None
        scores: list[float | None] = []
        for settings in grid:
            model = cls._fit(data, settings, seed)
            score = float(
                average_precision_score(
                    validation[1], model.score(validation[0]), sample_weight=validation_weight
                )
            )
            scores.append(score)
            if best is None or score > best[0]:
                best = (score, model, settings)
        return best[1], best[2], scores

    @classmethod
    def _fit(cls, data: _Datasets, params: dict[str, Any], seed: int) -> LightGBMModel:
        settings = booster_params(params, seed, data.scale_pos_weight)
        if data.valid_set is not None:
            booster = lgb.train(
                settings,
                data.train_set,
                num_boost_round=int(params["max_rounds"]),
                valid_sets=[data.valid_set],
                callbacks=[lgb.early_stopping(int(params["early_stopping_rounds"]), verbose=False)],
            )
            best = booster.best_iteration or booster.current_iteration()
        else:
            best = int(params["default_rounds"])
            booster = lgb.train(settings, data.train_set, num_boost_round=best)
        return cls(booster, int(best), settings["scale_pos_weight"])

    @classmethod
    def fit_rounds(
        cls,
        matrix: np.ndarray,
        labels: np.ndarray,
        params: dict[str, Any],
        seed: int,
        rounds: int,
        sample_weight: np.ndarray | None = None,
    ) -> LightGBMModel:
        """A fit with a fixed number of rounds (no early stopping)."""
        fixed = {**params, "default_rounds": rounds}
        return cls.fit(matrix, labels, fixed, seed, None, sample_weight)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        # each row scored by one thread: every core gives the same bits
        return self.booster.predict(
            matrix, num_iteration=self.best_iteration, num_threads=lightgbm_threads()
        )

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        # SHAP values cost far more than scores; each row's are computed by one thread, so
        # every core gives the same bits. The last column is the expected value (the same
        # for every row), not a feature.
        return self.booster.predict(
            matrix,
            num_iteration=self.best_iteration,
            pred_contrib=True,
            num_threads=lightgbm_threads(),
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


@dataclass
class EnsembleModel:
    name: ClassVar[str] = "ensemble"
    # (fitted member, its calibration) pairs
    members: list[tuple[Any, dict[str, Any]]]

    MEMBERS: ClassVar[tuple[str, ...]] = ("logistic_regression", "lightgbm")

    def score(self, matrix: np.ndarray) -> np.ndarray:
        # summed member by member: the same bits whatever the number of rows scored at once
        total = np.zeros(len(matrix))
        for model, calibration in self.members:
            total = total + apply_calibration(model.score(matrix), calibration)
        return total / len(self.members)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        total = np.zeros((len(matrix), matrix.shape[1]))
        for model, calibration in self.members:
            total = total + calibrated_slope(calibration) * model.contributions(matrix)
        return total / len(self.members)

    def to_dict(self) -> dict[str, Any]:
        return {
            "members": [
                {"model_name": model.name, "model": model.to_dict(), "calibration": calibration}
                for model, calibration in self.members
            ]
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnsembleModel:
        members = data["members"]
        models = [MODEL_CLASSES[m["model_name"]].from_dict(m["model"]) for m in members]
        return cls([(model, m["calibration"]) for model, m in zip(models, members, strict=True)])


class ScoresOnce:
    """A fitted candidate that scores one matrix once: asked again for the same matrix
    object, it returns the scores it computed. The ensemble's members are the product's
    own logistic regression and LightGBM fits, scored on the same encoded rows as those
    fits themselves: with both held as one ``ScoresOnce`` (``shared_fits``), each batch
    is predicted once, with the same bits. The matrix is held by a weak reference (a new
    matrix at the same address is never taken for the last one); matrices are never
    changed in place once encoded. Anything else is the candidate's own."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._matrix: weakref.ref | None = None
        self._score: np.ndarray | None = None

    def score(self, matrix: np.ndarray) -> np.ndarray:
        if self._matrix is None or self._matrix() is not matrix:
            self._score = self.model.score(matrix)
            self._matrix = weakref.ref(matrix)
        return self._score

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


def shared_fits(models: list[tuple[str, dict[str, Any], Any]]) -> list[Any]:
    """``(model_name, stored model, the model loaded from it)`` each as ``ScoresOnce``,
    where the same stored fit (a member of an ensemble and the product's own fit of that
    candidate) is one object, so that a batch is scored by it once."""
    held: dict[str, ScoresOnce] = {}

    def one(name: str, stored: dict[str, Any], model: Any) -> ScoresOnce:
        return held.setdefault(json.dumps([name, stored], sort_keys=True), ScoresOnce(model))

    shared = []
    for name, stored, model in models:
        if isinstance(model, EnsembleModel):
            members = [
                (one(member["model_name"], member["model"], fitted), calibration)
                for (fitted, calibration), member in zip(
                    model.members, stored["members"], strict=True
                )
            ]
            shared.append(EnsembleModel(members))
        else:
            shared.append(one(name, stored, model))
    return shared


MODEL_CLASSES: dict[str, type] = {
    LogisticModel.name: LogisticModel,
    LightGBMModel.name: LightGBMModel,
    LookalikeModel.name: LookalikeModel,
    EnsembleModel.name: EnsembleModel,
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))
