"""Which sentences of different outlets state the same fact, and how they join into groups.

Two sentences of different outlets state one fact when each is the other's best partner in its outlet,
by a clear margin over the runner-up (or by a very high score), where a pair's score is its cosine plus
the rarity-weighted share of words the two have in common, taken relative to the story's mean pair; or
when one is the other's best partner by a wide margin over its own runner-up, whatever the partner
prefers (a lead that reports three facts is the best partner of three sentences, and can prefer only
one). Pairs join into groups, best first, with at most one sentence per outlet and only when a newcomer
fits most of the group; a sentence that reports several facts may sit in up to MAX_GROUPS groups.

The thresholds are tuned on the labelled stories in `evaluation.compare_eval.TUNED`; the other labelled
stories are held out to check them (`python -m evaluation.compare_eval`).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from index.models import Passage
from retrieval.text_terms import terms

OVERLAP_WEIGHT = 1.0  # lexical agreement counts as much as the cosine
MIN_COSINE = 0.5  # below this cosine a pair is not one fact, whatever names it shares
VETOED = 100.0  # taken off a vetoed pair's score, so it can neither align nor help a group join
ALIGN_SCORE = 0.5  # mutual best pairs scoring at least this…
ALIGN_GAP = 0.3  # …and this far above either sentence's runner-up in the other outlet state one fact;
SURE_SCORE = 0.7  # a mutual best pair scoring this high needs no gap
ONE_SIDED_SCORE = 0.6  # a sentence's best partner in another outlet, scoring at least this…
ONE_SIDED_GAP = 0.4  # …and this far above the sentence's own runner-up there, states its fact even when the
#                      partner's best is another sentence
JOIN_SCORE = 0.5  # groups join when their members' cross scores average at least this…
MEMBER_SCORE = 0.5  # …and more than half of those pairs score this (a newcomer must fit most members)
MAX_GROUPS = 3  # a sentence reporting several facts (who went, where, and why) may sit in this many groups
ONLY_SCORE = 0.6  # an ungrouped sentence whose best score elsewhere is below this is its outlet's own

def _overlap(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    """The share of the smaller sentence's information the two share, words weighted by rarity in the story
    (names and words every outlet repeats, like the ministers' names, say little about *which* fact it is)."""
    shared = sum(idf.get(t, 0.0) for t in a & b)
    return shared / max(1e-9, min(sum(idf.get(t, 0.0) for t in a), sum(idf.get(t, 0.0) for t in b)))


def pair_scores(candidates: dict[str, list[Passage]], outlets: list[str], vectors: dict[int, np.ndarray]
                 ) -> dict[tuple[int, int], float]:
    """Each cross-outlet pair's score: cosine + OVERLAP_WEIGHT × the rarity-weighted share of words they share,
    less the story's mean pair score."""
    content = {p.pid: set(terms(p.text)) for sid in outlets for p in candidates[sid]}
    df: dict[str, int] = defaultdict(int)
    for words in content.values():
        for t in words:
            df[t] += 1
    idf = {t: math.log((len(content) + 1) / n) for t, n in df.items()}
    matrix = {sid: np.vstack([vectors[p.pid] for p in candidates[sid]]) for sid in outlets}
    scores: dict[tuple[int, int], float] = {}
    vetoed: set[tuple[int, int]] = set()
    for i, a in enumerate(outlets):
        for b in outlets[i + 1 :]:
            cosine = matrix[a] @ matrix[b].T
            overlap = np.asarray(
                [[_overlap(content[p.pid], content[q.pid], idf) for q in candidates[b]] for p in candidates[a]])
            score = cosine + OVERLAP_WEIGHT * overlap
            veto = cosine < MIN_COSINE  # sharing names is not sharing a fact when the meaning is far apart
            for row, p in enumerate(candidates[a]):
                for col, q in enumerate(candidates[b]):
                    scores[(p.pid, q.pid)] = scores[(q.pid, p.pid)] = float(score[row, col])
                    if veto[row, col]:
                        vetoed.update({(p.pid, q.pid), (q.pid, p.pid)})
    # Scores are taken relative to the story's mean pair score: outlets that all dwell on one person make
    # every pair look alike, and the bar rises with them.
    mean = float(np.mean(list(scores.values()))) if scores else 0.0
    return {pair: score - mean - VETOED * (pair in vetoed) for pair, score in scores.items()}


def aligned_pairs(candidates: dict[str, list[Passage]], outlets: list[str], scores: dict[tuple[int, int], float]
                   ) -> list[tuple[float, int, int]]:
    """Pairs that state the same fact: each the other's best in its outlet by a clear gap over the runner-up,
    with a high score (a sentence that is merely on the story's topic is near many and clear of none); or
    one the other's best by a wide gap over its own runner-up (the other may report several facts)."""
    pairs = []
    for i, a in enumerate(outlets):
        for b in outlets[i + 1 :]:
            ranked_a = {p.pid: sorted(((scores[(p.pid, q.pid)], q.pid) for q in candidates[b]), reverse=True)
                        for p in candidates[a]}
            ranked_b = {q.pid: sorted(((scores[(p.pid, q.pid)], p.pid) for p in candidates[a]), reverse=True)
                        for q in candidates[b]}
            found: dict[tuple[int, int], float] = {}
            for p, ranked in ranked_a.items():
                score, q = ranked[0]
                if ranked_b[q][0][1] != p:
                    continue
                runner_up = max([r[1][0] for r in (ranked, ranked_b[q]) if len(r) > 1], default=0.0)
                if score >= SURE_SCORE or (score >= ALIGN_SCORE and score - runner_up >= ALIGN_GAP):
                    found[(p, q)] = score
            for ranked_x, flip in ((ranked_a, False), (ranked_b, True)):
                for x, ranked in ranked_x.items():
                    score, y = ranked[0]
                    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
                    if score >= ONE_SIDED_SCORE and score - runner_up >= ONE_SIDED_GAP:
                        found.setdefault((y, x) if flip else (x, y), score)
            pairs.extend((score, p, q) for (p, q), score in found.items())
    return pairs


def cluster(pairs: list[tuple[float, int, int]], scores: dict[tuple[int, int], float],
             outlet_of: dict[int, str]) -> list[list[int]]:
    """Join the best pairs first into groups holding at most one sentence per outlet; a newcomer must pair
    well with most of the group, not just one member (chains of loosely related sentences stay apart).
    A sentence that reports two facts (a lead: who went, and why) may sit in up to MAX_GROUPS groups."""
    groups: dict[int, list[int]] = {}
    member_of: dict[int, set[int]] = defaultdict(set)
    next_key = 0
    for _, p, q in sorted(pairs, reverse=True):
        if member_of[p] & member_of[q]:
            continue
        best = None
        for g in [*member_of[p], None]:
            for h in [*member_of[q], None]:
                left = groups[g] if g is not None else [p]
                right = groups[h] if h is not None else [q]
                if {outlet_of[x] for x in left} & {outlet_of[y] for y in right}:
                    continue
                if (g is None and len(member_of[p]) >= MAX_GROUPS) or (h is None and len(member_of[q]) >= MAX_GROUPS):
                    continue
                cross = [scores[(x, y)] for x in left for y in right]
                if np.mean(cross) < JOIN_SCORE or np.mean([c >= MEMBER_SCORE for c in cross]) <= 0.5:
                    continue
                rank = ((g is not None) + (h is not None), float(np.mean(cross)))
                if best is None or rank > best[0]:
                    best = (rank, g, h, left + right)
        if best is None:
            continue
        _, g, h, merged = best
        for old in (g, h):
            if old is not None:
                groups.pop(old)
                for x in merged:
                    member_of[x].discard(old)
        groups[next_key] = merged
        for x in merged:
            member_of[x].add(next_key)
        next_key += 1
    return list(groups.values())
