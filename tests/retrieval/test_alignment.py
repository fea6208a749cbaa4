"""Which pairs align and how pairs join into groups (scores given); a pair's score from vectors and shared words."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from retrieval.alignment import VETOED, aligned_pairs, cluster, pair_scores


def _passages(**outlets):
    return {sid: [SimpleNamespace(pid=pid) for pid in pids] for sid, pids in outlets.items()}


def _symmetric(pairs):
    return {**pairs, **{(q, p): s for (p, q), s in pairs.items()}}


def test_a_pair_aligns_only_when_mutual_best_and_clear_of_the_runner_up():
    candidates = _passages(a=[1, 2], b=[3, 4])
    clear = _symmetric({(1, 3): 0.6, (1, 4): 0.1, (2, 3): 0.1, (2, 4): 0.2})
    assert [(p, q) for _, p, q in aligned_pairs(candidates, ["a", "b"], clear)] == [(1, 3)]
    crowded = _symmetric({(1, 3): 0.6, (1, 4): 0.5, (2, 3): 0.5, (2, 4): 0.2})  # 1 is as near to 4 as to 3, 3 to 2 as to 1
    assert aligned_pairs(candidates, ["a", "b"], crowded) == []
    sure = _symmetric({(1, 3): 0.9, (1, 4): 0.8, (2, 3): 0.1, (2, 4): 0.55})
    assert [(p, q) for _, p, q in aligned_pairs(candidates, ["a", "b"], sure)] == [(1, 3)]


def test_a_sentence_reporting_two_facts_pairs_with_each_sentence_whose_clear_best_it_is():
    candidates = _passages(a=[1, 2], b=[3, 4])
    lead = _symmetric({(1, 3): 0.65, (1, 4): 0.7, (2, 3): 0.1, (2, 4): 0.2})  # 1 is the best of 3 and of 4
    assert sorted((p, q) for _, p, q in aligned_pairs(candidates, ["a", "b"], lead)) == [(1, 3), (1, 4)]
    weak = _symmetric({(1, 3): 0.55, (1, 4): 0.7, (2, 3): 0.1, (2, 4): 0.2})  # 3's best is 1, but not by enough
    assert sorted((p, q) for _, p, q in aligned_pairs(candidates, ["a", "b"], weak)) == [(1, 4)]


def test_a_newcomer_must_fit_most_of_the_group_and_a_sentence_sits_in_at_most_three_groups():
    outlet_of = {1: "a", 2: "b", 3: "c", 4: "d", 5: "b", 6: "e"}
    scores = _symmetric({(1, 2): 1.0, (1, 3): 0.9, (2, 3): 0.2, (1, 4): 0.8, (2, 4): 0.9, (3, 4): 0.9,
                         (1, 5): 0.8, (3, 5): 0.0, (4, 5): 0.0, (2, 5): -1.0,
                         (1, 6): 0.7, (2, 6): 0.0, (3, 6): 0.0, (5, 6): 0.0})
    groups = cluster([(1.0, 1, 2), (0.9, 1, 3), (0.8, 1, 5), (0.7, 1, 6)], scores, outlet_of)
    # 3 fits 1 but not 2: it does not join their group; 1 reports a second fact with 3, a third with 5, and a
    # fourth with 6 is refused
    assert sorted(map(sorted, groups)) == [[1, 2], [1, 3], [1, 5]]


def test_a_pair_score_is_cosine_plus_shared_rare_words_relative_to_the_story_and_far_meanings_are_vetoed():
    passages = {"a": [SimpleNamespace(pid=1, text="Rates were cut by half a point"),
                      SimpleNamespace(pid=2, text="Markets fell sharply on Tuesday")],
                "b": [SimpleNamespace(pid=3, text="The central bank cut rates by half a point"),
                      SimpleNamespace(pid=4, text="Stocks fell on Tuesday")]}
    unit = {1: [1, 0, 0], 2: [0, 1, 0], 3: [0.9, 0.1, 0], 4: [0.1, 0.9, 0.4]}
    vectors = {pid: np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for pid, v in unit.items()}
    scores = pair_scores(passages, ["a", "b"], vectors)
    assert scores[(1, 3)] == scores[(3, 1)] > scores[(2, 4)] > 0, "the same fact in other words scores highest"
    assert scores[(1, 4)] < -VETOED / 2 and scores[(2, 3)] < -VETOED / 2, "cosines below MIN_COSINE are vetoed"
