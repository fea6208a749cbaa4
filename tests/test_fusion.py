"""Score fusion: max-normalisation, convex mixing and reciprocal rank fusion, on plain arrays."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.fusion import convex, max_normalize, reciprocal_rank


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


# --- reciprocal_rank ---------------------------------------------------------------------------------


def test_reciprocal_rank_orders_by_fused_score():
    fused = reciprocal_rank([[1, 2, 3], [3, 1, 2]])
    assert list(fused) == [1, 3, 2]
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62 + 1 / 63)


def test_reciprocal_rank_item_in_one_ranking_only():
    fused = reciprocal_rank([[7], [8, 7]])
    assert fused == {7: pytest.approx(1 / 61 + 1 / 62), 8: pytest.approx(1 / 61)}
    assert list(fused) == [7, 8]


def test_reciprocal_rank_ties_break_by_id():
    assert list(reciprocal_rank([[5, 2], [2, 5]])) == [2, 5]
    assert list(reciprocal_rank([[9], [4]])) == [4, 9]


def test_reciprocal_rank_k_controls_the_scores():
    assert reciprocal_rank([[1, 2]], k=0) == {1: 1.0, 2: 0.5}
    assert reciprocal_rank([[1, 2]], k=10) == {1: pytest.approx(1 / 11), 2: pytest.approx(1 / 12)}


def test_reciprocal_rank_small_k_favours_the_top_of_one_ranking():
    rankings = [[1, 2, 3, 4], [4, 3, 2, 1], [1, 4, 2, 3]]
    assert next(iter(reciprocal_rank(rankings, k=0))) == 1


def test_reciprocal_rank_empty():
    assert reciprocal_rank([]) == {}
    assert reciprocal_rank([[], []]) == {}


def test_bm25_matches_bm25s_scores():
    import bm25s

    from retrieval.lexical import BM25

    rng = np.random.default_rng(3)
    vocabulary = [f"w{i}" for i in range(40)]
    documents = [list(rng.choice(vocabulary, size=int(rng.integers(1, 30)))) for _ in range(60)]
    reference = bm25s.BM25()
    reference.index(documents, show_progress=False)
    ours = BM25(documents)
    for _ in range(20):
        query = sorted(set(rng.choice(vocabulary + ["unseen"], size=int(rng.integers(1, 6)))))
        np.testing.assert_allclose(ours.scores(query), reference.get_scores(query), rtol=1e-5, atol=1e-6)
