"""Evaluate answers against gold phrases: evidence recall, abstain accuracy, latency, misses.

A question file is JSON lines `{"q": ..., "gold": {source_id: [phrases] | null}}` (optionally
`"story"`). A (question, outlet) pair with phrases is a hit when one of the outlet's first two quotes
contains a phrase (case-insensitive, whitespace collapsed, curly quotes as straight); a pair with
null is right when the outlet is not covered and nothing is quoted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError

from index.errors import UsageError
from retrieval.models import Answer

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})
_SPACE = re.compile(r"\s+")


class EvalQuestion(BaseModel):
    q: str
    gold: dict[str, list[str] | None]
    story: str | None = None


class Miss(BaseModel):
    question: str
    source_id: str
    outlet: str
    expected: list[str] | None
    quoted: list[str]


class PairFigures(BaseModel):
    """Counts over (question, outlet) pairs: gold pairs hit, null pairs abstained on, and the two rates."""

    gold_pairs: int
    null_pairs: int
    hits: int
    abstains: int
    evidence_recall: float
    abstain_accuracy: float


class EvalReport(PairFigures):
    name: str
    questions: int
    latency_ms_p50: float
    latency_ms_p95: float
    latency_ms_max: float
    misses: list[Miss]


def normalize(text: str) -> str:
    """Compare texts case-insensitively, whitespace collapsed, curly quotes straight."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().lower()


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSONL question file; a malformed line is a UsageError naming the line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read question file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"question file {path} is not UTF-8 text") from None
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            questions.append(EvalQuestion.model_validate_json(line))
        except ValidationError as exc:
            raise UsageError(f"{path}:{number} is not a question record: {exc.errors()[0]['msg']}") from None
    if not questions:
        raise UsageError(f"{path} holds no questions")
    return questions


def quote_hits(quotes: list[str], phrases: list[str]) -> bool:
    """Tell whether any of the first two quotes contains any gold phrase."""
    wanted = [normalize(p) for p in phrases]
    return any(p in normalize(q) for q in quotes[:2] for p in wanted)


def score(name: str, questions: list[EvalQuestion], answers: list[Answer], latencies_s: list[float]) -> EvalReport:
    """Compute the report from questions and their answers (pure arithmetic; tested on its own)."""
    gold_pairs = null_pairs = hits = abstains = 0
    misses = []
    for question, answer in zip(questions, answers, strict=True):
        by_source = {o.source_id: o for o in answer.outlets}
        for source_id, phrases in question.gold.items():
            outlet = by_source.get(source_id)
            quoted = [q.text for q in outlet.quotes] if outlet else []
            if phrases is None:
                null_pairs += 1
                ok = outlet is not None and not quoted and not outlet.covered  # a missing outlet is a defect
                abstains += ok
            else:
                gold_pairs += 1
                ok = quote_hits(quoted, phrases)
                hits += ok
            if not ok:
                misses.append(Miss(question=question.q, source_id=source_id, outlet=outlet.outlet if outlet else "?",
                                   expected=phrases, quoted=quoted))
    ms = np.asarray(latencies_s or [0.0]) * 1000
    return EvalReport(
        name=name,
        questions=len(questions),
        gold_pairs=gold_pairs,
        null_pairs=null_pairs,
        hits=hits,
        abstains=abstains,
        evidence_recall=round(hits / gold_pairs, 4) if gold_pairs else 1.0,
        abstain_accuracy=round(abstains / null_pairs, 4) if null_pairs else 1.0,
        latency_ms_p50=round(float(np.percentile(ms, 50)), 2),
        latency_ms_p95=round(float(np.percentile(ms, 95)), 2),
        latency_ms_max=round(float(ms.max()), 2),
        misses=misses,
    )


def run(name: str, questions: list[EvalQuestion], ask: Callable[[EvalQuestion], Answer]) -> EvalReport:
    """Ask every question, timing each answer, and score the lot."""
    answers, latencies = [], []
    for question in questions:
        started = time.perf_counter()
        answers.append(ask(question))
        latencies.append(time.perf_counter() - started)
    return score(name, questions, answers, latencies)

