"""Leave-one-story-out figures: fit answerability on every other story, score the held-out one.

Ranking does not depend on the answerability weights, so each question is ranked and read once; the
reader's weight in the ranking is applied afterwards (arithmetic too), so several weights are compared
on one reading. Each (question, outlet) pair keeps its features, its label (does the gold say the
outlet answers?) and whether the quotes it would get if covered hold a gold phrase. Each fold then
only refits the logistic model.
"""

from __future__ import annotations

from collections import defaultdict
import dataclasses
from dataclasses import dataclass

import numpy as np

from evaluation.calibration import fit
from evaluation.harness import EvalQuestion, PairFigures, quote_hits
from index.errors import UsageError
from retrieval.answerability import Answerability, answer_features, story_evidence
from retrieval.composition import OutletEvidence, outlet_answer
from retrieval.engine import Engine
from retrieval.ranking import rerank


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


@dataclass
class Asked:
    """One question, ranked and read once: every outlet's evidence, before the reader's weight is applied."""

    set_name: str
    question: EvalQuestion
    evidence: list[OutletEvidence]


def rank_questions(set_name: str, engine: Engine, questions: list[EvalQuestion]) -> list[Asked]:
    """Rank and read every question of a set once, with the reader's probabilities kept apart from relevance."""
    if engine.settings.reader_weight:
        engine = Engine(engine.settings.model_copy(update={"reader_weight": 0.0}), embedder=engine.embedder,
                        library=engine.library)
    asked = []
    for question in questions:
        story = question.story or engine.library.story_of(question.gold)
        evidence = engine.evidence(question.q, story)
        asked.append(Asked(set_name, question.model_copy(update={"story": story}), evidence))
    return asked


def with_reader_weight(asked: Asked, weight: float, reader: bool = True) -> list[OutletEvidence]:
    """The question's evidence as the engine gives it when the reader's probability weighs `weight`
    in the ranking; `reader=False`: as without the reader at all (its probabilities blanked)."""
    out = []
    for item in asked.evidence:
        ranked = [dataclasses.replace(c) for c in item.ranked]
        if weight:
            read = [k for k, c in enumerate(ranked) if c.reader > 0.0]
            ranked = rerank(ranked, read, [ranked[k].reader for k in read], weight)
        else:  # the engine's own order
            ranked.sort(key=lambda c: -c.relevance)
        if not reader:
            for c in ranked:
                c.reader = 0.0
        out.append(dataclasses.replace(item, ranked=ranked, features=[]))
    story = story_evidence([item.ranked for item in out])
    for item in out:
        if item.ranked:
            item.features = answer_features(item.ranked, item.entity_coverage, story)
    return out


def pairs_of(asked: list[Asked], weight: float, second_ratio: float, reader: bool = True) -> list[Pair]:
    """Every (question, outlet) pair with its features, label and whether its quotes would be right."""
    pairs = []
    for one in asked:
        question = one.question
        for item in with_reader_weight(one, weight, reader):
            phrases = question.gold.get(item.source.source_id, "absent")
            if phrases == "absent":
                continue
            if item.features:
                quotes = outlet_answer(item, True, second_ratio).quotes
                hit = phrases is not None and quote_hits([q.text for q in quotes], phrases)
                features = item.features
            else:  # an outlet with no passages: never covered
                hit, features = False, []
            pairs.append(Pair(one.set_name, question.story, features, phrases is not None, hit, bool(item.credits)))
    return pairs


def collect(set_name: str, engine: Engine, questions: list[EvalQuestion]) -> list[Pair]:
    """Rank every question of a set once, at the engine's reader weight, and keep what the folds need."""
    return pairs_of(rank_questions(set_name, engine, questions), engine.settings.reader_weight,
                    engine.settings.second_quote_ratio)


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


def rank_sets(sets: list[str], engine_for) -> list[Asked]:
    """Rank every question of every set once. `engine_for(corpus)` gives the engine of a corpus (None: the library)."""
    from evaluation.written_questions import load_set, parse_set

    asked = []
    for spec in sets:
        path, corpus, held = parse_set(spec)
        engine = engine_for(corpus)
        name = path.name + (" (held-out fold)" if held else "")
        asked += rank_questions(name, engine, load_set(path, engine.library, held))
    return asked


def balanced(figures: list[FoldFigures]) -> float:
    """One number to choose by: the mean over sets of (evidence recall + abstain accuracy) / 2."""
    return float(np.mean([(f.evidence_recall + f.abstain_accuracy) / 2 for f in figures])) if figures else 0.0


READER_ALONE_WEIGHT = 100.0  # the reader's probability decides the order of what it read
READER_FEATURES = ("reader", "reader_margin", "story_reader", "reader_max", "reader_max_gap")


def variants(asked: list[Asked], combined_weight: float, second_ratio: float) -> dict[str, list[FoldFigures]]:
    """Leave-one-story-out figures of the engine alone, the reader alone and both, from one reading.

    engine alone: its own ranking, answerability on the non-reader features; reader alone: what it read
    ordered by its probability, answerability on the reader's features only; combined: the shipped blend.
    """
    from retrieval.answerability import ANSWER_FEATURES

    reader_only = [ANSWER_FEATURES.index(f) for f in READER_FEATURES]
    engine_only = [k for k in range(len(ANSWER_FEATURES)) if k not in reader_only]
    return {
        "engine alone": leave_one_story_out(pairs_of(asked, 0.0, second_ratio, reader=False), engine_only),
        "reader alone": leave_one_story_out(pairs_of(asked, READER_ALONE_WEIGHT, second_ratio), reader_only),
        "combined": leave_one_story_out(pairs_of(asked, combined_weight, second_ratio)),
    }
