"""Score fusion: max-normalisation, convex mixing and reciprocal rank fusion, on plain arrays."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.fusion import convex, max_normalize


# --- max_normalize ---------------------------------------------------------------------------------


def test_max_normalize_scales_by_the_maximum():
    np.testing.assert_allclose(max_normalize(np.array([1.0, 2.0, 4.0])), [0.25, 0.5, 1.0])


def test_max_normalize_accepts_lists_and_returns_floats():
    out = max_normalize([0, 5, 10])
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("scores", [np.zeros(3), np.array([0.0]), np.array([-1.0, -2.0])])
def test_max_normalize_all_zero_or_negative_stays_zero(scores):
    out = max_normalize(scores)
    assert out.shape == scores.shape
    assert not out.any()


def test_max_normalize_empty():
    assert max_normalize(np.array([])).shape == (0,)
    assert max_normalize(np.array([]), ceiling=3.0).shape == (0,)


def test_max_normalize_ceiling_divides_by_the_ceiling_not_the_maximum():
    np.testing.assert_allclose(max_normalize(np.array([1.0, 2.0]), ceiling=4.0), [0.25, 0.5])


def test_max_normalize_clips_above_the_ceiling_to_one():
    np.testing.assert_allclose(max_normalize(np.array([1.0, 2.0, 8.0]), ceiling=2.0), [0.5, 1.0, 1.0])


def test_max_normalize_clips_negative_scores_to_zero():
    np.testing.assert_allclose(max_normalize(np.array([-1.0, 2.0])), [0.0, 1.0])


@pytest.mark.parametrize("ceiling", [0.0, -1.0])
def test_max_normalize_non_positive_ceiling_gives_zeros(ceiling):
    assert not max_normalize(np.array([1.0, 2.0]), ceiling=ceiling).any()


def test_max_normalize_does_not_modify_its_input():
    scores = np.array([1.0, 3.0])
    max_normalize(scores)
    np.testing.assert_array_equal(scores, [1.0, 3.0])


# --- convex ------------------------------------------------------------------------------------------


def test_convex_mixes_by_weight():
    dense, lexical = np.array([1.0, 0.0, 0.5]), np.array([0.0, 1.0, 0.5])
    np.testing.assert_allclose(convex(dense, lexical, 0.6), [0.6, 0.4, 0.5])


def test_convex_weight_one_is_dense_and_zero_is_lexical():
    dense, lexical = np.array([0.2, 0.9]), np.array([0.7, 0.1])
    np.testing.assert_allclose(convex(dense, lexical, 1.0), dense)
    np.testing.assert_allclose(convex(dense, lexical, 0.0), lexical)


def test_convex_stays_within_unit_interval_for_unit_inputs():
    rng = np.random.default_rng(0)
    dense, lexical = rng.random(100), rng.random(100)
    for weight in (0.0, 0.25, 0.6, 1.0):
        mixed = convex(dense, lexical, weight)
        assert (mixed >= 0).all() and (mixed <= 1).all()


@pytest.mark.parametrize(("weight", "shown"), [(1.5, "1.5"), (-0.1, "-0.1"), (float("nan"), "nan")])
def test_convex_rejects_weights_outside_the_unit_interval(weight, shown):
    with pytest.raises(ValueError, match=rf"^dense_weight must be within \[0, 1\], got {shown}$"):
        convex(np.array([1.0]), np.array([1.0]), weight)


