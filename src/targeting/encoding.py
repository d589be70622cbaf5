"""From ``fct_feature_snapshots`` rows to the numeric matrix every model sees.

``FeatureEncoder.fit`` learns, from the rows a model is fitted on only, everything the
transformation needs; ``transform`` then applies it to any snapshot, so a test or score
snapshot is encoded with what was known when the model was trained. Steps:

1. numeric features: nulls take the fit rows' median and, where the fit rows had nulls, a
   ``<feature>=missing`` indicator is added (a missing recency is "never", not a median
   user); then ``sign(x) * log1p(|x|)``, since counts and minutes are heavy-tailed;
2. categorical features (text columns): one indicator per level seen at least
   ``min_level_rows`` times in the fit rows, named ``<feature>=<level>``; other levels
   are all zeros;
3. latent factors: a truncated SVD of the user x item usage matrix (``log1p`` of each
   item's uses in the 90 days before the row's snapshot) of the fit rows, ``latent_1``
   ... ``latent_k``; a row is projected with its own usage before its own snapshot;
4. every column is standardized with the fit rows' mean and standard deviation,
   clipped to +-``CLIP`` standard deviations; columns constant on the fit rows are
   dropped (they cannot tell anyone apart).

The encoder is stored as JSON with the model, so scoring rebuilds exactly the same
columns. ``describe`` words an encoded column of a row for the reasons shown to people
(the raw count, the level, ``missing``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD

# Columns that identify a row, are its outcome or its weight in a sample: not features.
KEY_COLUMNS = (
    "user_id",
    "product_id",
    "snapshot_date",
    "role",
    "is_eligible",
    "label",
    "sample_weight",
    "feature_version",
)
USAGE_COLUMNS = ("user_id", "snapshot_date", "item_kind", "item", "uses_90d")
CLIP = 5.0
MIN_LEVEL_ROWS = 20


def feature_columns(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> tuple[list, list]:
    """(numeric, categorical) feature columns of a feature-snapshot frame, in frame order."""
    skip = set(KEY_COLUMNS) | set(exclude)
    numeric, categorical = [], []
    for column in frame.columns:
        if column in skip:
            continue
        dtype = frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            numeric.append(column)
        else:
            categorical.append(column)
    return numeric, categorical


class Usage:
    """The user x item usage (``int_user_items_windowed``) as one sparse matrix.

    One row per (user, snapshot) pair, one column per item (``<kind>:<item>``), values
    log1p(uses in 90 days). Built once; ``rows`` then picks the rows of any frame of
    feature snapshots (a pair without usage gets an empty row).
    """

    def __init__(self, usage: pd.DataFrame | None = None) -> None:
        usage = usage if usage is not None else pd.DataFrame(columns=list(USAGE_COLUMNS))
        self._pairs = _PairIndex(usage["user_id"], usage["snapshot_date"])
        self.items, item_codes = _item_codes(usage["item_kind"], usage["item"])
        values = np.log1p(pd.to_numeric(usage["uses_90d"]).to_numpy(dtype="float64"))
        # an empty row and column at the end: for pairs without usage, items never used
        self._matrix = sp.csr_matrix(
            (values, (self._pairs.codes, item_codes)),
            shape=(self._pairs.size + 1, len(self.items) + 1),
        )

    def rows(self, frame: pd.DataFrame, items: Sequence[str]) -> sp.csr_matrix:
        """Rows of ``frame`` x ``items``."""
        positions = self._pairs.positions(frame["user_id"], frame["snapshot_date"])
        positions[positions < 0] = self._pairs.size
        columns = self.items.get_indexer(pd.Index(list(items), dtype=object))
        columns[columns < 0] = len(self.items)
        return self._matrix[positions][:, columns]


class _PairIndex:
    """Positions of (user_id, day) pairs, keyed by numbers rather than by text: a user's
    number times the number of days plus the day's number (text keys cost seconds)."""

    def __init__(self, user_ids: pd.Series, dates: pd.Series) -> None:
        user_codes, users = pd.factorize(_user_keys(user_ids))
        day_codes, days = pd.factorize(_day_numbers(dates))
        self._users, self._days = pd.Index(users, dtype=object), pd.Index(days)
        self.codes, pairs = pd.factorize(user_codes.astype("int64") * len(days) + day_codes)
        self._pairs = pd.Index(pairs)
        self.size = len(pairs)

    def positions(self, user_ids: pd.Series, dates: pd.Series) -> np.ndarray:
        """Each pair's position, -1 for a pair without usage."""
        users = self._users.get_indexer(_user_keys(user_ids))
        days = self._days.get_indexer(_day_numbers(dates))
        keys = users.astype("int64") * len(self._days) + days
        keys[(users < 0) | (days < 0)] = -1
        return self._pairs.get_indexer(keys)


def _user_keys(user_ids: pd.Series) -> np.ndarray:
    return pd.Series(user_ids).astype(str).to_numpy(dtype=object)


def _day_numbers(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 (a timestamp counts as its day)."""
    return pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[D]").astype("int64")


def _item_codes(kinds: pd.Series, items: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """(the items, ``<kind>:<item>`` in sorted order; each row's item's position): the text
    is made once per distinct (kind, item), not once per row."""
    kind_codes, kind_names = pd.factorize(pd.Series(kinds).astype(str))
    item_codes, item_names = pd.factorize(pd.Series(items).astype(str))
    pair_codes, pairs = pd.factorize(kind_codes.astype("int64") * len(item_names) + item_codes)
    names = np.array(
        [f"{kind_names[p // len(item_names)]}:{item_names[p % len(item_names)]}" for p in pairs],
        dtype=object,
    )
    # two (kind, item) pairs may read alike ("a:b" + "c", "a" + "b:c"): one item
    sorted_names = pd.Index(sorted(set(names)), dtype=object)
    return sorted_names, sorted_names.get_indexer(names)[pair_codes]


# A latent factor is worded by this many of the items that load most on it.
LATENT_LABEL_ITEMS = 2


@dataclass
class FeatureEncoder:
    """What ``transform`` needs, learned from the fit rows; JSON-serializable."""

    numeric: list[str] = field(default_factory=list)
    medians: list[float] = field(default_factory=list)
    missing_indicators: list[str] = field(default_factory=list)
    categorical: dict[str, list[str]] = field(default_factory=dict)
    latent_items: list[str] = field(default_factory=list)
    latent_components: list[list[float]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    means: list[float] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        usage: Usage | None = None,
        *,
        latent_factors: int = 8,
        seed: int = 42,
        exclude: Sequence[str] = (),
        min_level_rows: int = MIN_LEVEL_ROWS,
        sample_weight: np.ndarray | None = None,
    ) -> FeatureEncoder:
        """Learn the encoding from ``frame``; ``sample_weight`` (a sample's row weights) make the
        means and standard deviations those of the population the sample stands for."""
        numeric, categorical = feature_columns(frame, exclude)
        encoder = cls(numeric=numeric)
        for column in numeric:
            values = _numeric(frame[column])
            known = values[~np.isnan(values)]
            encoder.medians.append(float(np.median(known)) if known.size else 0.0)
            if known.size < values.size:
                encoder.missing_indicators.append(column)
        for column in categorical:
            codes, texts = _text_codes(frame[column])
            counts = np.bincount(codes[codes >= 0], minlength=len(texts))
            encoder.categorical[column] = sorted(texts[counts >= min_level_rows])
        if usage is not None and latent_factors > 0:
            encoder._fit_latent(frame, usage, latent_factors, seed)
        raw, names = encoder._raw(frame, usage)
        if not len(raw):
            means = scales = np.zeros(raw.shape[1])
        elif sample_weight is None:
            means, scales = raw.mean(axis=0), raw.std(axis=0)
        else:
            means = weighted_mean(raw, sample_weight)
            scales = np.sqrt(weighted_mean((raw - means) ** 2, sample_weight))
        varying = scales > 1e-12
        encoder.names = [name for name, keep in zip(names, varying, strict=True) if keep]
        encoder.means = means[varying].tolist()
        encoder.scales = scales[varying].tolist()
        return encoder

    def _fit_latent(self, frame: pd.DataFrame, usage: Usage, k: int, seed: int) -> None:
        matrix = usage.rows(frame, usage.items)
        used = np.flatnonzero(np.asarray((matrix != 0).sum(axis=0)).ravel() > 0)
        k = min(k, len(used) - 1, matrix.shape[0] - 1)
        if k < 1:
            return
        svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=7, random_state=seed)
        svd.fit(matrix[:, used])
        components = svd.components_
        # An SVD component's sign is arbitrary: fix it so its largest loading is positive.
        signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
        self.latent_items = [usage.items[i] for i in used]
        self.latent_components = (components * signs[:, None]).tolist()

    def _raw(self, frame: pd.DataFrame, usage: Usage | None) -> tuple[np.ndarray, list[str]]:
        """Every candidate column before standardization, with its name."""
        names, blocks = [], []
        for name, values in self._columns(frame, usage):
            names.append(name)
            blocks.append(values)
        raw = np.column_stack(blocks) if blocks else np.zeros((len(frame), 0))
        return raw, names

    def _columns(
        self, frame: pd.DataFrame, usage: Usage | None
    ) -> Iterator[tuple[str, np.ndarray]]:
        """(name, values) of every candidate column before standardization, one at a time."""
        missing: dict[str, np.ndarray] = {}
        for column, median in zip(self.numeric, self.medians, strict=True):
            values = _numeric(frame[column]) if column in frame else np.full(len(frame), np.nan)
            missing[column] = np.isnan(values)
            yield column, _signed_log(np.where(missing[column], median, values))
        for column in self.missing_indicators:  # numeric columns, whose nulls are known
            yield f"{column}=missing", missing[column].astype("float64")
        for column, levels in self.categorical.items():
            codes, texts = _text_codes(frame[column]) if column in frame else (None, [])
            code_of = {text: code for code, text in enumerate(texts)}
            for level in levels:
                hit = np.zeros(len(frame)) if codes is None else codes == code_of.get(level, -2)
                yield f"{column}={level}", np.asarray(hit, dtype="float64")
        if self.latent_items:
            latent = self._latent(frame, usage)
            for i in range(latent.shape[1]):
                yield f"latent_{i + 1}", np.asarray(latent[:, i]).ravel()

    def _latent(self, frame: pd.DataFrame, usage: Usage | None) -> np.ndarray:
        """Rows x latent factors: each row's usage projected on the fitted components."""
        matrix = (usage or Usage()).rows(frame, self.latent_items)
        return np.asarray(matrix @ np.asarray(self.latent_components).T)

    def transform(self, frame: pd.DataFrame, usage: Usage | None = None) -> np.ndarray:
        """The standardized, clipped matrix (rows of ``frame`` x ``names``)."""
        if len(frame) == 0:
            return np.zeros((0, len(self.names)))
        # column by column into a column-major matrix, each column standardized where it
        # lies: the same operations (and bits) as on the whole matrix, with no copy of
        # every candidate column first (at a million rows, that copy and the passes over
        # the whole matrix were most of the encoding's time). Column-major as the matrix
        # always was (it was a column selection of the candidates): a row's sum over
        # columns (the logistic regression's score) keeps its bits
        position = {name: i for i, name in enumerate(self.names)}
        matrix = np.empty((len(frame), len(self.names)), order="F")
        filled = np.zeros(len(self.names), dtype=bool)
        for name, values in self._columns(frame, usage):
            i = position.get(name)
            if i is None:  # constant on the fit rows
                continue
            column = values - self.means[i]
            column /= self.scales[i]
            matrix[:, i] = np.clip(column, -CLIP, CLIP, out=column)
            filled[i] = True
        if not filled.all():
            missing = [name for name, done in zip(self.names, filled, strict=True) if not done]
            raise ValueError(f"the encoder has no column named {missing}")
        return matrix

    def describe(
        self,
        frame: pd.DataFrame,
        usage: Usage | None,
        rows: np.ndarray,
        columns: np.ndarray,
        latent: np.ndarray | None = None,
    ) -> np.ndarray:
        """``<feature>=<value>`` as a person reads it, for each (row, encoded column) pair;
        ``latent``: the frame's latent factors (``latent``) when its usage is not at hand.

        Always the row's own value of the feature: a count, not its log; for an indicator
        the value of the feature it stands for, since an indicator pushes the score up as
        much by being 0 as by being 1 (``plan=free`` pushing up a user on the pro plan
        reads ``plan=pro``); ``missing`` for a null; latent factors their projection,
        named by the items they stand for (``latent_2 (uses reports, dashboards)=3.1``).
        """
        texts = np.empty(len(rows), dtype=object)
        if latent is None and any(self.names[c].startswith("latent_") for c in set(columns)):
            latent = self._latent(frame, usage)
        for column in np.unique(columns):
            selected = columns == column
            name = self.names[column]
            if "=" in name:
                feature = name.split("=", 1)[0]
                picked = frame[feature].iloc[rows[selected]] if feature in frame else None
                if picked is None:
                    texts[selected] = f"{feature}=missing"
                elif feature in self.categorical:
                    codes, levels = _text_codes(picked)
                    texts[selected] = _worded(feature, np.append(levels, "missing"), codes)
                else:
                    texts[selected] = _numbers_worded(feature, _numeric(picked))
                continue
            if name.startswith("latent_"):
                factor = int(name.removeprefix("latent_")) - 1
                values = np.asarray(latent[rows[selected], factor])
                name = f"{name} ({self.latent_label(factor)})"
            else:
                values = _numeric(frame[name].iloc[rows[selected]])
            texts[selected] = _numbers_worded(name, values.ravel())
        return texts

    def latent_label(self, factor: int, n_items: int = LATENT_LABEL_ITEMS) -> str:
        """What latent factor ``factor`` (0-based) stands for, as a person reads it: the
        items that load most on it, ``uses reports, dashboards``. A user scores high on it
        by using those items (each component's largest loading is positive)."""
        loadings = np.asarray(self.latent_components[factor])
        top = [i for i in np.argsort(-loadings, kind="stable")[:n_items] if loadings[i] > 0]
        items = [self.latent_items[i].split(":", 1)[-1].replace("=", "-") for i in top]
        return "uses " + ", ".join(items)

    def latent(self, frame: pd.DataFrame, usage: Usage | None) -> np.ndarray | None:
        """The rows' latent factors (as ``describe`` words them); None without any."""
        return self._latent(frame, usage) if self.latent_items else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureEncoder:
        return cls(**data)


def _numeric(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _text_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as text (levels are learned and matched as text): (each value's position
    among the distinct texts, -1 for a null; the distinct texts, sorted). Each distinct
    value is made text once, not each row."""
    codes, uniques = pd.factorize(series)
    texts = pd.Series(uniques, dtype=object).astype(str).to_numpy(dtype=object)
    distinct, position = np.unique(texts, return_inverse=True)
    # a null's code -1 picks the -1 appended
    return np.append(position, -1)[codes], distinct.astype(object)


def weighted_mean(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per column, the ``weights``-weighted mean of ``matrix`` (rows x columns): the bits of
    ``np.average(matrix, axis=0, weights=weights)``, which broadcasts the weights against
    the rows' layout and took 0.7 s on 250,000 x 80 where this takes 0.04 s."""
    column = weights[:, None]
    return (matrix * column).sum(axis=0) / column.sum(axis=0)


def _signed_log(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.log1p(np.abs(values))


def _worded(name: str, words: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``name=word`` of each code's word: one text per distinct word, shared."""
    texts = np.array([f"{name}={word}" for word in words], dtype=object)
    return texts[codes]


def _numbers_worded(name: str, values: np.ndarray) -> np.ndarray:
    """``name=<number>`` of each value (``_format_number``), each distinct value worded
    once: most features hold a few distinct counts."""
    distinct, codes = np.unique(values, return_inverse=True)  # NaNs come last, and alike
    return _worded(name, np.array([_format_number(v) for v in distinct], dtype=object), codes)


def _format_number(value: float) -> str:
    """Up to 3 significant digits, never an exponent: 3, 0.857, 12.5, 1734, 0.0000123."""
    if np.isnan(value):
        return "missing"
    value = float(value) + 0.0  # no "-0"
    if value.is_integer() or abs(value) >= 100:
        return f"{value:.0f}"
    return np.format_float_positional(value, precision=3, unique=True, fractional=False, trim="-")
