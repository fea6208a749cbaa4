"""Compare the outlets of a story: what several report, what only one reports, where their figures or
quoted words differ — as groups of verbatim quotes.

Sentences are aligned across outlets by their vectors and shared rare words (`retrieval.alignment`); a
group whose outlets give different figures for one quantity (`retrieval.quantities`) or quote the same words
differently is a conflict. A sentence that nothing in any other outlet resembles is that outlet's own.
Headlines and page furniture never take part. With a topic, the groups are those the reader finds
about it (the topic read as a question against each group's sentences) or that lie close to it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import BaseModel

from index.library import StoryPassages
from index.models import Passage, source_label
from retrieval import alignment
from retrieval.attribution import Attribution, attribute
from retrieval.quantities import differing_values
from retrieval.text_terms import terms

MIN_WORDS = 6
MIN_QUOTE_WORDS = 4  # shorter quotations ("serious reservations") are phrases, not statements to compare
SAME_RUN = 5  # …and this many words in a row: two quotations render one statement, not two that look alike
REWORDED_SHARE = 0.5  # quotations sharing at least this share of the shorter one's words render one statement
TOPIC_READER = 0.25  # a group is about the topic when the reader gives one of its sentences this probability…
TOPIC_COSINE = 0.35  # …or one of them lies this close to the topic

_EDITORIAL = re.compile(r"\[[^\]]*\]|\([^)]*\)")  # [him], (Russian President Vladimir)
_QUOTED = re.compile(r"[“\"]([^”\"]{12,})[”\"]")
_ANAPHORIC = re.compile(r"^[“\"]?(?:this|that|these|those|he|she|they|it)\b|\b(?:denied|confirmed|rejected)\s+this\b",
                        re.IGNORECASE)


class CompareQuote(BaseModel):
    source_id: str
    outlet: str
    text: str
    start: int
    end: int
    attribution: Attribution | None = None


class Group(BaseModel):
    kind: Literal["shared", "only", "conflict"]
    note: str
    quotes: list[CompareQuote]


class Comparison(BaseModel):
    story: str
    groups: list[Group]


def _quote(view: StoryPassages, passage: Passage, grouped: set[int] = frozenset()) -> CompareQuote:
    """The passage as a quote; one that leans on the sentence before ("The ministry denied this…") is quoted
    with it, unless that sentence is in a group of its own (an `only` quote never repeats a shared one)."""
    source = next(s for s in view.story.sources if s.source_id == passage.source_id)
    start, end = passage.start, passage.end
    before = view.neighbour(passage, -1)
    if _ANAPHORIC.search(passage.text) and before is not None and before.kind == "body" \
            and before.pid not in grouped and "\n" not in source.text[before.end : passage.start]:
        start = before.start
    spans = [(p.start, p.end) for p in view.of_source.get(source.source_id, [])]
    return CompareQuote(source_id=source.source_id, outlet=source.outlet, text=source.text[start:end], start=start,
                        end=end, attribution=attribute(source.text, (start, end), spans, (passage.start, passage.end)))


Topic = Callable[[list[Passage]], np.ndarray]  # the reader's probability that each passage is about the topic


def compare_story(view: StoryPassages, vectors: dict[int, np.ndarray], topic: np.ndarray | None = None,
                  about: Topic | None = None) -> Comparison:
    """The story's content aligned across its outlets (vectors by passage id, L2-normalised). With a topic
    (its vector, and `about`: the reader's probabilities), only the groups about it, most relevant first."""
    candidates = {s.source_id: [p for p in view.of_source.get(s.source_id, [])
                                if p.kind == "body" and len(p.text.split()) >= MIN_WORDS]
                  for s in view.story.sources}
    outlets = [sid for sid, ps in candidates.items() if ps]
    by_pid = {p.pid: p for sid in outlets for p in candidates[sid]}
    outlet_of = {pid: p.source_id for pid, p in by_pid.items()}
    scores = alignment.pair_scores(candidates, outlets, vectors)
    members = alignment.cluster(alignment.aligned_pairs(candidates, outlets, scores), scores, outlet_of)
    grouped = {pid for group in members for pid in group}
    groups = []
    for group in members:
        passages = sorted((by_pid[pid] for pid in group), key=lambda p: (outlets.index(p.source_id), p.start))
        groups.append((passages, _shared_or_conflict(view, passages)))
    best_elsewhere: dict[int, float] = defaultdict(float)
    for (p, _), score in scores.items():
        best_elsewhere[p] = max(best_elsewhere[p], score)
    for sid in outlets:
        outlet = next(s.outlet for s in view.story.sources if s.source_id == sid)
        for p in candidates[sid]:
            if p.pid not in grouped and best_elsewhere[p.pid] < alignment.ONLY_SCORE:
                groups.append(([p], Group(kind="only", note=f"only {source_label(outlet, sid)} reports this",
                                          quotes=[_quote(view, p, grouped)])))
    order = {"conflict": 0, "shared": 1, "only": 2}
    groups.sort(key=lambda item: (order[item[1].kind], -len(item[0]), item[0][0].pid))
    if topic is not None:
        groups = _about(groups, vectors, topic, about)
    return Comparison(story=view.story.story_id, groups=[g for _, g in groups])


def _about(groups: list[tuple[list[Passage], Group]], vectors: dict[int, np.ndarray], topic: np.ndarray,
           about: Topic | None) -> list[tuple[list[Passage], Group]]:
    """The groups about the topic, most relevant first: the reader finds one of their sentences about it, or
    one lies close to it."""
    passages = [p for ps, _ in groups for p in ps]
    read = dict(zip((p.pid for p in passages), about(passages))) if about is not None and passages else {}
    scored = []
    for ps, group in groups:
        reader = max((read.get(p.pid, 0.0) for p in ps), default=0.0)
        cosine = max(float(vectors[p.pid] @ topic) for p in ps)
        if reader >= TOPIC_READER or cosine >= TOPIC_COSINE:
            scored.append((max(reader, cosine), ps, group))
    return [(ps, g) for _, ps, g in sorted(scored, key=lambda t: -t[0])]


def _shared_or_conflict(view: StoryPassages, passages: list[Passage]) -> Group:
    quotes = [_quote(view, p) for p in passages]
    values = differing_values({q.source_id: [q.text] for q in quotes})
    if values:
        return Group(kind="conflict", note="the outlets give different figures: " + "; ".join(values), quotes=quotes)
    reworded = _reworded_quotes(quotes)
    if reworded:
        shown = " vs ".join(f"“{_clip(words)}” ({sid})" for sid, words in reworded)
        return Group(kind="conflict", note=f"the quoted words differ: {shown}", quotes=quotes)
    names = ", ".join(q.outlet for q in quotes)
    return Group(kind="shared", note=f"reported by {len(quotes)} outlets: {names}", quotes=quotes)


def _reworded_quotes(quotes: list[CompareQuote]) -> list[tuple[str, str]]:
    """Two outlets quoting the same words differently ("Western henchmen" / "Western curators"): the
    quotations share most of their content words and five words in a row, yet neither is the other or a
    part of it once case, spacing, punctuation and an editor's [insertions] are set aside ("goodwill" /
    "good will" is one wording)."""
    quoted = [(q.source_id, m.group(1).strip(" ,.")) for q in quotes for m in _QUOTED.finditer(q.text)]
    for i, (sid_a, a) in enumerate(quoted):
        for sid_b, b in quoted[i + 1 :]:
            if sid_a == sid_b:
                continue
            na, nb = _normal(a), _normal(b)
            wa, wb = set(na.split()), set(nb.split())
            if min(len(wa), len(wb)) < MIN_QUOTE_WORDS:
                continue
            ca, cb = na.replace(" ", ""), nb.replace(" ", "")
            if ca in cb or cb in ca:
                continue
            ta, tb = set(terms(na)), set(terms(nb))
            if (ta and tb and len(ta & tb) / min(len(ta), len(tb)) >= REWORDED_SHARE
                    and _shares_run(na.split(), nb.split(), SAME_RUN)):
                return [(sid_a, a), (sid_b, b)]
    return []


def _shares_run(a: list[str], b: list[str], length: int) -> bool:
    """Whether the two word lists have `length` consecutive words in common (they render one statement)."""
    runs = {tuple(a[i : i + length]) for i in range(len(a) - length + 1)}
    return any(tuple(b[i : i + length]) in runs for i in range(len(b) - length + 1))


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", _EDITORIAL.sub(" ", text).lower()))


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
