"""Leave-one-story-out figures: fit answerability on every other story, score the held-out one.

Ranking does not depend on the answerability weights, so each (question, outlet) pair is ranked once:
its features, its label (does the gold say the outlet answers?) and whether the quotes it would get if
covered hold a gold phrase. Each fold then only refits the logistic model, which is arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
import dataclasses
from dataclasses import dataclass

import numpy as np

from evaluation.calibration import fit
from evaluation.harness import EvalQuestion, PairFigures, quote_hits
from index.errors import UsageError
from retrieval.answerability import Answerability
from retrieval.composition import outlet_answer
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
    pairs = []
    ratio = engine.settings.second_quote_ratio
    for question in questions:
        story = question.story or engine.library.story_of(question.gold)
        for item in engine.evidence(question.q, story):
            phrases = question.gold.get(item.source.source_id, "absent")
            if phrases == "absent":
                continue
            if item.features:
                quotes = outlet_answer(item, True, ratio).quotes
                hit = phrases is not None and quote_hits([q.text for q in quotes], phrases)
                features = item.features
            else:  # an outlet with no passages: never covered
                hit, features = False, []
            pairs.append(Pair(set_name, story, features, phrases is not None, hit, bool(item.credits)))
    return pairs


def fitting_pairs(pairs: list[Pair]) -> list[Pair]:
    """The pairs answerability learns from: null pairs, and gold pairs whose quotes would be right.

    A gold pair whose best quotes miss scores the same covered or not, and its features describe a
    wrong sentence: it would teach the model to quote outlets on wrong evidence.
    """
    return [p for p in pairs if p.features and not p.forced and (not p.answers or p.hit_if_covered)]


def fit_pairs(pairs: list[Pair], only: list[int] | None = None):
    """Fit answerability on the pairs; `only` keeps those feature columns (the others get weight 0)."""
    usable = fitting_pairs(pairs)
    x = np.asarray([p.features for p in usable])
    width = x.shape[1]
    keep = list(range(width)) if only is None else only
    fitted = fit(x[:, keep], np.asarray([p.answers for p in usable], dtype=float))
    weights = [0.0] * width
    for column, weight in zip(keep, fitted.weights):
        weights[column] = weight
    return dataclasses.replace(fitted, weights=tuple(weights))


def leave_one_story_out(pairs: list[Pair], only: list[int] | None = None) -> list[FoldFigures]:
    """Per set, the figures when each story's pairs are judged by a model fitted on all other stories."""
    covered = {}
    for story in sorted({p.story for p in pairs}):
        train = [p for p in pairs if p.story != story]
        if len({p.answers for p in fitting_pairs(train)}) < 2:
            raise UsageError("leave-one-story-out needs question sets over at least two stories")
        fitted = fit_pairs(train, only)
        fold = Answerability(weights=fitted.weights, bias=fitted.bias, threshold=fitted.threshold)
        for i, p in enumerate(pairs):
            if p.story == story:
                covered[i] = p.forced or fold.covers(p.features)
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


def reliability(pairs: list[Pair], answerability: Answerability, bins: int = 5) -> list[dict]:
    """Predicted probability against how often the outlet really answers, in equal-width bins."""
    rows = [(answerability.probability(p.features), p.answers) for p in pairs if p.features and not p.forced]
    table = []
    for k in range(bins):
        low, high = k / bins, (k + 1) / bins
        inside = [a for prob, a in rows if low <= prob < high or (k == bins - 1 and prob == 1.0)]
        if inside:
            mean = float(np.mean([prob for prob, _ in rows if low <= prob < high or (k == bins - 1 and prob == 1.0)]))
            table.append({"bin": f"{low:.1f}-{high:.1f}", "pairs": len(inside), "predicted": round(mean, 3),
                          "answers": round(sum(inside) / len(inside), 3)})
    return table


def collect_sets(sets: list[str], engine_for) -> list[Pair]:
    """Rank every question of every set once. `engine_for(corpus)` gives the engine of a corpus (None: the library)."""
    from evaluation.written_questions import load_set, parse_set

    pairs = []
    for spec in sets:
        path, corpus, held = parse_set(spec)
        engine = engine_for(corpus)
        name = path.name + (" (held-out fold)" if held else "")
        pairs += collect(name, engine, load_set(path, engine.library, held))
    return pairs
