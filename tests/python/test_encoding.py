"""FeatureEncoder and Usage on tiny frames: fill, log, levels, scaling, latent factors, wording."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from targeting.encoding import CLIP, FeatureEncoder, Usage, feature_columns, weighted_mean

SNAPSHOT = dt.date(2024, 3, 1)
LATER = dt.date(2024, 4, 1)


def snapshot(n: int, date: dt.date = SNAPSHOT, **features: object) -> pd.DataFrame:
    """n feature-snapshot rows of users u01.. at ``date`` with the given feature columns."""
    return pd.DataFrame(
        {
            "user_id": [f"u{i:02d}" for i in range(1, n + 1)],
            "product_id": "p1",
            "snapshot_date": date,
            "role": "train",
            "is_eligible": True,
            "label": 0,
            **features,
        }
    )


def raw_column(encoder: FeatureEncoder, frame: pd.DataFrame, name: str) -> np.ndarray:
    """An encoded column back on its pre-standardization scale (meaningful when not clipped)."""
    i = encoder.names.index(name)
    return encoder.transform(frame)[:, i] * encoder.scales[i] + encoder.means[i]


def usage_frame(rows: list[tuple[str, dt.date, str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "snapshot_date", "item_kind", "item", "uses_90d"])


def latent_world(seed: int = 0) -> tuple[pd.DataFrame, Usage]:
    """40 users at SNAPSHOT, two usage profiles (reports vs. api), users u36-u40 without usage."""
    rng = np.random.default_rng(seed)
    frame = snapshot(40, logins=rng.poisson(5, 40))
    rows = []
    for i, user in enumerate(frame["user_id"][:35]):
        items = ["reports", "dashboards", "exports"] if i % 2 else ["api", "webhooks", "sdk"]
        for item in items:
            rows.append((user, SNAPSHOT, "feature", item, int(rng.integers(1, 50))))
        if i % 5 == 0:
            rows.append((user, SNAPSHOT, "page", "billing", int(rng.integers(1, 5))))
    return frame, Usage(usage_frame(rows))


def test_feature_columns_split_numeric_and_text_and_skip_the_keys():
    frame = snapshot(3, logins=[1, 2, 3], industry=["a", "b", None], is_admin=[True, False, True])

    assert feature_columns(frame) == (["logins", "is_admin"], ["industry"])
    assert feature_columns(frame, exclude=["logins"]) == (["is_admin"], ["industry"])


def test_nulls_take_the_fit_median_and_only_columns_with_fit_nulls_get_an_indicator():
    fit_rows = snapshot(5, recency_days=[1.0, 2.0, 3.0, None, 100.0], logins=[1, 2, 3, 4, 5])
    encoder = FeatureEncoder.fit(fit_rows)

    assert encoder.missing_indicators == ["recency_days"]
    assert encoder.medians == [2.5, 3.0]
    assert "recency_days=missing" in encoder.names
    assert "logins=missing" not in encoder.names
    indicator = raw_column(encoder, fit_rows, "recency_days=missing")
    np.testing.assert_allclose(indicator, [0, 0, 0, 1, 0])
    np.testing.assert_allclose(
        raw_column(encoder, fit_rows, "recency_days"), np.log1p([1.0, 2.0, 3.0, 2.5, 100.0])
    )
    # a null in a column that had none at fit: the fit median, and still no indicator
    other = snapshot(1, recency_days=[None], logins=[None])
    assert encoder.transform(other).shape == (1, len(encoder.names))
    np.testing.assert_allclose(raw_column(encoder, other, "logins"), np.log1p([3.0]))
    np.testing.assert_allclose(raw_column(encoder, other, "recency_days=missing"), [1.0])


def test_numeric_values_are_signed_log1p():
    fit_rows = snapshot(5, trend=[-9.0, -0.5, 0.0, 9.0, 99.0])
    encoder = FeatureEncoder.fit(fit_rows)

    np.testing.assert_allclose(
        raw_column(encoder, fit_rows, "trend"),
        [-np.log(10.0), -np.log(1.5), 0.0, np.log(10.0), np.log(100.0)],
    )


def test_nullable_integer_and_boolean_columns_are_numeric():
    fit_rows = snapshot(
        4,
        searches=pd.array([1, None, 3, 7], dtype="Int64"),
        is_admin=pd.array([True, False, True, True], dtype="boolean"),
    )
    encoder = FeatureEncoder.fit(fit_rows)

    assert encoder.numeric == ["searches", "is_admin"]
    assert encoder.missing_indicators == ["searches"]
    np.testing.assert_allclose(raw_column(encoder, fit_rows, "searches"), np.log1p([1, 3, 3, 7]))
    np.testing.assert_allclose(raw_column(encoder, fit_rows, "is_admin"), np.log1p([1, 0, 1, 1]))


def test_rare_categorical_levels_are_dropped_and_unseen_levels_encode_as_zeros():
    industry = ["software"] * 25 + ["retail"] * 20 + ["mining"] * 19 + [None] * 2
    fit_rows = snapshot(len(industry), industry=industry)
    encoder = FeatureEncoder.fit(fit_rows)

    assert encoder.categorical == {"industry": ["retail", "software"]}
    assert encoder.names == ["industry=retail", "industry=software"]
    other = snapshot(4, industry=["software", "retail", "mining", "aerospace"])
    np.testing.assert_allclose(raw_column(encoder, other, "industry=software"), [1, 0, 0, 0])
    np.testing.assert_allclose(raw_column(encoder, other, "industry=retail"), [0, 1, 0, 0])
    # the rare and the unseen level look exactly like each other (and like a null)
    matrix = encoder.transform(snapshot(3, industry=["mining", "aerospace", None]))
    assert np.array_equal(matrix[0], matrix[1])
    assert np.array_equal(matrix[0], matrix[2])


def test_min_level_rows_is_the_smallest_count_kept():
    fit_rows = snapshot(6, plan=["free", "free", "pro", "pro", "pro", "team"])

    assert FeatureEncoder.fit(fit_rows, min_level_rows=2).categorical == {"plan": ["free", "pro"]}
    assert FeatureEncoder.fit(fit_rows, min_level_rows=3).categorical == {"plan": ["pro"]}


def test_constant_and_all_null_columns_are_dropped():
    fit_rows = snapshot(
        6,
        logins=[1, 2, 3, 4, 5, 6],
        tenure_days=[90] * 6,
        searches=[np.nan] * 6,
        country=["fr"] * 6,
        segment=[None] * 6,
    )
    encoder = FeatureEncoder.fit(fit_rows, min_level_rows=1)

    assert encoder.names == ["logins"]
    assert encoder.transform(fit_rows).shape == (6, 1)
    # values the fit never saw vary now, but the columns stay dropped
    other = snapshot(2, logins=[1, 2], tenure_days=[1, 900], searches=[3, 4], country=["de", "fr"])
    assert encoder.transform(other).shape == (2, 1)


def test_every_column_constant_gives_no_names_and_an_empty_matrix():
    fit_rows = snapshot(4, tenure_days=[90] * 4, country=["fr"] * 4)
    encoder = FeatureEncoder.fit(fit_rows, min_level_rows=1)

    assert encoder.names == []
    assert encoder.transform(fit_rows).shape == (4, 0)


def test_standardization_uses_the_fit_rows_only():
    fit_rows = snapshot(6, logins=[0, 1, 3, 7, 15, 31])
    encoder = FeatureEncoder.fit(fit_rows)
    logged = np.log1p([0, 1, 3, 7, 15, 31])

    assert encoder.means == pytest.approx([logged.mean()])
    assert encoder.scales == pytest.approx([logged.std()])
    fitted = encoder.transform(fit_rows)[:, 0]
    assert fitted.mean() == pytest.approx(0.0, abs=1e-12)
    assert fitted.std() == pytest.approx(1.0)
    # other rows are placed on the fit rows' scale, not standardized among themselves
    other = encoder.transform(snapshot(2, logins=[0, 1]))[:, 0]
    np.testing.assert_allclose(other, (np.log1p([0, 1]) - logged.mean()) / logged.std())
    assert other.mean() < -1.0


def test_values_far_from_the_fit_rows_are_clipped_at_clip_standard_deviations():
    encoder = FeatureEncoder.fit(snapshot(4, trend=[-1.0, 0.0, 1.0, 2.0]))
    matrix = encoder.transform(snapshot(3, trend=[1e9, -1e9, 1.0]))[:, 0]

    assert matrix[0] == CLIP
    assert matrix[1] == -CLIP
    assert -CLIP < matrix[2] < CLIP


def test_columns_missing_from_the_transformed_frame_take_the_median_and_no_level():
    fit_rows = snapshot(
        40, logins=np.arange(40), industry=["software", "retail"] * 20, recency=[1.0, None] * 20
    )
    encoder = FeatureEncoder.fit(fit_rows)
    bare = snapshot(2)

    np.testing.assert_allclose(raw_column(encoder, bare, "logins"), np.log1p([19.5, 19.5]))
    np.testing.assert_allclose(raw_column(encoder, bare, "industry=software"), [0, 0])
    np.testing.assert_allclose(raw_column(encoder, bare, "recency=missing"), [1, 1])


def test_transform_is_column_major_with_the_bits_of_the_whole_matrix_computed_at_once():
    frame, usage = latent_world()
    frame["plan"] = ["free", "pro", None, "team"] * 10
    frame.loc[::7, "logins"] = np.nan
    frame["constant"] = 3
    encoder = FeatureEncoder.fit(frame, usage, latent_factors=2, min_level_rows=1)
    assert "constant" not in encoder.names
    matrix = encoder.transform(frame, usage)
    # the matrix as it was computed before: every candidate column, the kept ones picked,
    # then standardized and clipped in place
    raw, names = encoder._raw(frame, usage)
    expected = raw[:, [names.index(name) for name in encoder.names]]
    expected -= np.asarray(encoder.means)
    expected /= np.asarray(encoder.scales)
    np.clip(expected, -CLIP, CLIP, out=expected)
    assert matrix.flags["F_CONTIGUOUS"] and expected.flags["F_CONTIGUOUS"]
    assert np.array_equal(matrix.view("int64"), expected.view("int64"))
    # a row's sum over columns (the logistic regression's score) keeps its bits
    assert np.array_equal(matrix.sum(axis=1), expected.sum(axis=1))


def test_to_dict_from_dict_round_trip_through_json_gives_identical_output():
    frame, usage = latent_world()
    frame["industry"] = ["software", "retail", None, "software"] * 10
    frame["recency_days"] = [None if i % 7 == 0 else float(i) for i in range(40)]
    encoder = FeatureEncoder.fit(frame, usage, latent_factors=2, min_level_rows=5)
    restored = FeatureEncoder.from_dict(json.loads(json.dumps(encoder.to_dict())))

    assert restored == encoder
    assert np.array_equal(restored.transform(frame, usage), encoder.transform(frame, usage))


def test_latent_factors_are_added_after_the_other_columns():
    frame, usage = latent_world()
    encoder = FeatureEncoder.fit(frame, usage, latent_factors=3)

    assert encoder.names == ["logins", "latent_1", "latent_2", "latent_3"]
    features = ["api", "dashboards", "exports", "reports", "sdk", "webhooks"]
    assert encoder.latent_items == [*(f"feature:{item}" for item in features), "page:billing"]
    assert np.asarray(encoder.latent_components).shape == (3, 7)
    assert encoder.transform(frame, usage).shape == (40, 4)


def test_latent_factors_are_capped_by_the_items_and_rows():
    frame, usage = latent_world()

    # 7 items used: at most 6 components
    assert len(FeatureEncoder.fit(frame, usage, latent_factors=50).latent_components) == 6
    # 3 fit rows: at most 2 components
    assert len(FeatureEncoder.fit(frame.head(3), usage, latent_factors=50).latent_components) == 2


def test_no_usage_or_no_latent_factors_means_no_latent_columns():
    frame, usage = latent_world()

    assert FeatureEncoder.fit(frame).latent_items == []
    assert FeatureEncoder.fit(frame, usage, latent_factors=0).latent_items == []
    # a single item used by the fit rows leaves no room for a component
    single = Usage(usage_frame([("u01", SNAPSHOT, "feature", "api", 3)]))
    assert FeatureEncoder.fit(frame, single).latent_items == []


def test_each_component_has_its_largest_loading_positive():
    frame, usage = latent_world()
    components = np.asarray(FeatureEncoder.fit(frame, usage, latent_factors=4).latent_components)
    largest = components[np.arange(len(components)), np.abs(components).argmax(axis=1)]

    assert (largest > 0).all()
    np.testing.assert_allclose(np.linalg.norm(components, axis=1), 1.0)


def test_the_same_seed_gives_bit_identical_latent_factors():
    frame, usage = latent_world()
    first = FeatureEncoder.fit(frame, usage, latent_factors=3, seed=7)
    second = FeatureEncoder.fit(frame.copy(), usage, latent_factors=3, seed=7)

    assert first.to_dict() == second.to_dict()
    assert np.array_equal(first.transform(frame, usage), second.transform(frame, usage))


def test_a_row_without_usage_projects_to_zero_like_a_fit_user_without_usage():
    frame, usage = latent_world()
    encoder = FeatureEncoder.fit(frame, usage, latent_factors=2)
    latent = [encoder.names.index("latent_1"), encoder.names.index("latent_2")]
    fitted = encoder.transform(frame, usage)[:, latent]
    stranger = snapshot(1, logins=[5])
    stranger["user_id"] = "nobody"

    projected = encoder.transform(stranger, usage)[:, latent]
    # raw projection 0, i.e. the standardized value of 0, exactly what u36-u40 get at fit
    expected = (0.0 - np.asarray(encoder.means)[latent]) / np.asarray(encoder.scales)[latent]
    np.testing.assert_allclose(projected[0], expected)
    assert np.array_equal(projected[0], fitted[39])
    # without any Usage at all, every row projects to that same zero
    assert np.array_equal(encoder.transform(frame, None)[:, latent][0], fitted[39])


def test_a_row_is_projected_with_its_own_snapshot_usage_only():
    frame, usage = latent_world()
    encoder = FeatureEncoder.fit(frame, usage, latent_factors=2)
    latent = encoder.names.index("latent_1")
    # u01 used items at SNAPSHOT only; at LATER it has no usage yet in this world
    later = snapshot(2, date=LATER, logins=[5, 5])
    same_day = snapshot(2, logins=[5, 5])

    no_usage = encoder.transform(frame.iloc[[39]], usage)[0, latent]
    assert (encoder.transform(later, usage)[:, latent] == no_usage).all()
    assert (encoder.transform(same_day, usage)[:, latent] != no_usage).all()


def test_usage_rows_are_log1p_uses_and_zeros_for_unknown_pairs_and_items():
    usage = Usage(
        usage_frame(
            [
                ("u1", SNAPSHOT, "feature", "api", 9),
                ("u1", SNAPSHOT, "page", "billing", 2),
                ("u2", SNAPSHOT, "feature", "api", 1),
                ("u1", LATER, "feature", "api", 99),
            ]
        )
    )
    rows = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u1"],
            "snapshot_date": [SNAPSHOT, SNAPSHOT, SNAPSHOT, dt.date(2024, 5, 1)],
        }
    )
    matrix = usage.rows(rows, ["feature:api", "page:billing", "feature:never"]).toarray()

    np.testing.assert_allclose(
        matrix,
        [
            [np.log(10.0), np.log(3.0), 0.0],
            [np.log(2.0), 0.0, 0.0],
            [0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0],
        ],
    )
    assert list(usage.items) == ["feature:api", "page:billing"]


def test_usage_matches_dates_whatever_their_type_and_user_ids_as_text():
    usage = Usage(usage_frame([("7", SNAPSHOT, "feature", "api", 1)]))
    rows = pd.DataFrame(
        {"user_id": [7, 7, 7], "snapshot_date": [pd.Timestamp(SNAPSHOT), "2024-03-01", LATER]}
    )

    matrix = usage.rows(rows, ["feature:api"]).toarray()

    np.testing.assert_allclose(matrix.ravel(), np.log(2.0) * np.array([1, 1, 0]))


def test_kinds_and_items_that_read_alike_are_one_item():
    usage = Usage(
        usage_frame(
            [
                ("u1", SNAPSHOT, "a:b", "c", 1),
                ("u2", SNAPSHOT, "a", "b:c", 3),
                ("u2", SNAPSHOT, "a", "d", 1),
            ]
        )
    )
    rows = pd.DataFrame({"user_id": ["u1", "u2"], "snapshot_date": [SNAPSHOT, SNAPSHOT]})

    assert list(usage.items) == ["a:b:c", "a:d"]
    np.testing.assert_allclose(
        usage.rows(rows, ["a:b:c", "a:d"]).toarray(),
        [[np.log(2.0), 0.0], [np.log(4.0), np.log(2.0)]],
    )


def test_an_empty_usage_gives_zero_rows():
    usage = Usage()

    assert usage.rows(snapshot(3), ["feature:api"]).toarray().tolist() == [[0.0]] * 3


def describe_all(encoder: FeatureEncoder, frame: pd.DataFrame, usage: Usage | None = None) -> dict:
    """Every (row, column) wording, as {name: [text per row]}."""
    n_rows, n_columns = len(frame), len(encoder.names)
    rows = np.repeat(np.arange(n_rows), n_columns)
    columns = np.tile(np.arange(n_columns), n_rows)
    texts = encoder.describe(frame, usage, rows, columns).reshape(n_rows, n_columns)
    return {name: texts[:, j].tolist() for j, name in enumerate(encoder.names)}


def test_describe_words_numeric_features_with_their_raw_value():
    frame = snapshot(
        4,
        n_teammates_adopted=[3, 0, 12, 1734],
        share=[0.857142, 0.5, 12.5, 0.0],
        minutes=[1734.4, 99.95, 123.456, -2.25],
    )
    texts = describe_all(FeatureEncoder.fit(frame), frame)

    assert texts["n_teammates_adopted"] == [
        "n_teammates_adopted=3",
        "n_teammates_adopted=0",
        "n_teammates_adopted=12",
        "n_teammates_adopted=1734",
    ]
    assert texts["share"] == ["share=0.857", "share=0.5", "share=12.5", "share=0"]
    assert texts["minutes"] == ["minutes=1734", "minutes=100", "minutes=123", "minutes=-2.25"]


def test_describe_words_indicators_with_the_rows_own_value_and_nulls_as_missing():
    frame = snapshot(
        40,
        industry=["software", "retail"] * 20,
        recency_days=[None, 4.0, 2.5, 8.0] * 10,
    )
    encoder = FeatureEncoder.fit(frame)
    texts = describe_all(encoder, frame)

    # an indicator at 0 is worded with what the user is, not with the level they are not
    assert texts["industry=software"][:2] == ["industry=software", "industry=retail"]
    assert texts["recency_days=missing"][:2] == ["recency_days=missing", "recency_days=4"]
    # the numeric column of a null row says missing, not the median it was given
    assert texts["recency_days"][:3] == [
        "recency_days=missing",
        "recency_days=4",
        "recency_days=2.5",
    ]


def test_describe_words_latent_factors_with_the_rows_projection():
    frame, usage = latent_world()
    encoder = FeatureEncoder.fit(frame, usage, latent_factors=2)
    texts = describe_all(encoder, frame, usage)
    projection = np.asarray(
        usage.rows(frame, encoder.latent_items) @ np.asarray(encoder.latent_components).T
    )

    label = encoder.latent_label(0)
    assert texts["latent_1"][39] == f"latent_1 ({label})=0"
    value = float(f"{projection[0, 0]:.3g}")
    assert texts["latent_1"][0] == f"latent_1 ({label})={value:g}"


def test_a_latent_factor_is_named_by_the_items_that_load_most_on_it():
    frame, usage = latent_world()
    encoder = FeatureEncoder.fit(frame, usage, latent_factors=2)
    labels = {encoder.latent_label(0), encoder.latent_label(1)}

    # the two usage profiles of the world: reports, dashboards, exports against api,
    # webhooks, sdk; each factor is named by two items of one profile
    profiles = [{"reports", "dashboards", "exports"}, {"api", "webhooks", "sdk"}]
    for label in labels:
        assert label.startswith("uses ")
        items = set(label.removeprefix("uses ").split(", "))
        assert len(items) == 2
        assert any(items <= profile for profile in profiles), label


def test_describe_with_the_rows_latent_factors_given_needs_no_usage():
    frame, usage = latent_world()
    encoder = FeatureEncoder.fit(frame, usage, latent_factors=2)
    rows = np.array([0, 5, 39, 5])
    columns = np.array([encoder.names.index(name) for name in ["latent_1", "latent_2"] * 2])

    given = encoder.describe(frame, None, rows, columns, latent=encoder.latent(frame, usage))

    assert given.tolist() == encoder.describe(frame, usage, rows, columns).tolist()


def test_describe_picks_rows_by_position_in_the_order_given():
    frame = snapshot(3, logins=[10, 20, 30]).set_index(pd.Index([7, 8, 9]))
    encoder = FeatureEncoder.fit(frame)
    texts = encoder.describe(frame, None, np.array([2, 0, 2]), np.array([0, 0, 0]))

    assert texts.tolist() == ["logins=30", "logins=10", "logins=30"]


def test_transform_of_no_rows_gives_an_empty_matrix_with_the_encoded_columns():
    encoder = FeatureEncoder.fit(snapshot(4, logins=[1, 2, 3, 4]))

    assert encoder.transform(snapshot(0, logins=[])).shape == (0, 1)


@pytest.mark.parametrize(("rows", "columns"), [(1, 1), (7, 3), (20_000, 40)])
def test_weighted_mean_has_the_bits_of_numpy_average(rows: int, columns: int):
    # the encoder's means and scales under a sample's weights: the same bits as before
    rng = np.random.default_rng(rows)
    matrix = rng.normal(scale=100.0, size=(rows, columns))
    weights = rng.uniform(0.1, 5.0, size=rows)

    assert np.array_equal(
        weighted_mean(matrix, weights), np.average(matrix, axis=0, weights=weights)
    )
