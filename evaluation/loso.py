"""Leave-one-story-out figures: fit answerability on every other story, score the held-out one.

Ranking does not depend on the answerability weights, so each (question, outlet) pair is ranked once:
its features, its label (does the gold say the outlet answers?) and whether the quotes it would get if
covered hold a gold phrase. Each fold then only refits the logistic model, which is arithmetic.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from evaluation.calibration import fit
from evaluation.harness import EvalQuestion, PairFigures, quote_hits
from index.errors import UsageError
from retrieval.answerability import answerability
from retrieval.answering import compose_outlet
from retrieval.engine import Engine


@dataclass
class Pair:
    """One (question, outlet) pair, ranked once."""

    set_name: str
    story: str
    features: list[float]
    answers: bool  # the gold says this outlet states the answer
    hit_if_covered: bool  # its first two quotes would hold a gold phrase
    forced: bool = False  # a credits question: answered with credit lines whatever the model says


class FoldFigures(PairFigures):
    set_name: str


def collect(set_name: str, engine: Engine, questions: list[EvalQuestion]) -> list[Pair]:
    """Rank every question of a set once and keep what the folds need."""
    open_door = dataclasses.replace(engine.calibration, threshold=0.0)
    pairs = []
    for question in questions:
        story = question.story or engine.library.story_of(question.gold)
        for item in engine.evidence(question.q, story):
            phrases = question.gold.get(item.source.source_id, "absent")
            if phrases == "absent":
                continue
            if item.features:
                quotes = item.credits or compose_outlet(item.source, item.ranked, open_door, item.features).quotes
                hit = phrases is not None and quote_hits([q.text for q in quotes], phrases)
                features = item.features
            else:  # an outlet with no passages: never covered
                hit, features = False, []
            pairs.append(Pair(set_name, story, features, phrases is not None, hit, bool(item.credits)))
    return pairs


def leave_one_story_out(pairs: list[Pair], calibration) -> list[FoldFigures]:
    """Per set, the figures when each story's pairs are judged by a model fitted on all other stories."""
    covered = {}
    for story in sorted({p.story for p in pairs}):
        train = [p for p in pairs if p.story != story and p.features]
        if len({p.answers for p in train}) < 2:
            raise UsageError("leave-one-story-out needs question sets over at least two stories")
        fitted = fit(np.asarray([p.features for p in train]), np.asarray([p.answers for p in train], dtype=float))
        fold = dataclasses.replace(calibration, weights=fitted.weights, bias=fitted.bias, threshold=fitted.threshold)
        for i, p in enumerate(pairs):
            if p.story == story:
                covered[i] = p.forced or (bool(p.features) and answerability(p.features, fold) >= fold.threshold)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for i, p in enumerate(pairs):
        t = totals[p.set_name]
        if p.answers:
            t[0] += 1
            t[2] += covered[i] and p.hit_if_covered
        else:
            t[1] += 1
            t[3] += not covered[i]
    return [FoldFigures(set_name=name, gold_pairs=g, null_pairs=n, hits=h, abstains=a,
                        evidence_recall=round(h / g, 4) if g else 1.0, abstain_accuracy=round(a / n, 4) if n else 1.0)
            for name, (g, n, h, a) in totals.items()]


def ceiling(pairs: list[Pair]) -> dict[str, float]:
    """Per set, the share of gold pairs whose quotes would hit if every outlet were covered."""
    out = {}
    for name in dict.fromkeys(p.set_name for p in pairs):
        gold = [p for p in pairs if p.set_name == name and p.answers]
        out[name] = round(sum(p.hit_if_covered for p in gold) / len(gold), 4) if gold else 1.0
    return out
