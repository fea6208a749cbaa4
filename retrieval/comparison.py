"""Compare the outlets of a story: what several report, what only one reports, where their figures or
quoted words differ — as groups of verbatim quotes.

Sentences are aligned across outlets as mutual nearest neighbours over their passage vectors, kept when
the cosine is high enough and the two share content words or numbers; aligned pairs join into groups.
A sentence that resembles nothing in any other outlet is that outlet's own. Headlines and page
furniture never take part.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Literal

import numpy as np
from pydantic import BaseModel

from index.library import StoryPassages
from index.models import Passage
from retrieval.attribution import Attribution, attribute
from retrieval.text_terms import terms

OVERLAP_WEIGHT = 0.5  # pairing score: cosine + this × the share of content terms the two sentences share
ALIGN_COSINE = 0.55  # mutual best pairs at least this similar…
ALIGN_SCORE = 0.8  # …with a pairing score at least this high are the same fact
ONLY_SCORE = 0.8  # an unaligned sentence whose best pairing score elsewhere is below this is that outlet's own
MIN_WORDS = 6
REWORDED_SHARE = 0.5  # quotations sharing at least this share of the shorter one's words render one statement

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(%|percent|per cent)?(?:\s+(?:people|of\s+the))?"
                     r"\s*([a-z]+)?", re.IGNORECASE)
_QUOTED = re.compile(r"[“\"]([^”\"]{12,})[”\"]")
_ANAPHORIC = re.compile(r"^[“\"]?(?:this|that|these|those|he|she|they|it)\b|\b(?:denied|confirmed|rejected)\s+this\b",
                        re.IGNORECASE)
_NOT_UNITS = {"and", "or", "in", "on", "at", "to", "the", "a", "of", "for", "with", "by", "from", "as", "after", "before"}


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


def quantities(text: str) -> dict[str, set[str]]:
    """Numbers by the unit word that follows them: {"dead": {"139"}, "%": {"25"}}."""
    found: dict[str, set[str]] = defaultdict(set)
    for match in _NUMBER.finditer(text):
        number, percent, unit = match.group(1), match.group(2), (match.group(3) or "").lower()
        if percent:
            found["%"].add(number)
        elif unit and unit not in _NOT_UNITS and not (1900 <= float(number.replace(",", "")) <= 2100):
            found[unit].add(number)
    return found


def differing_values(quotes_by_outlet: dict[str, list[str]]) -> list[str]:
    """For each unit two outlets give different numbers for: "139 dead (004) vs 137 dead (005)"."""
    by_unit: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for outlet, texts in quotes_by_outlet.items():
        for unit, numbers in quantities(" ".join(texts)).items():
            by_unit[unit][outlet] = numbers
    notes = []
    for unit, per_outlet in by_unit.items():
        values = {frozenset(v) for v in per_outlet.values()}
        if len(per_outlet) >= 2 and len(values) >= 2:
            shown = " vs ".join(f"{'/'.join(sorted(v))}{'' if unit == '%' else ' '}{unit} ({o})"
                                for o, v in per_outlet.items())
            notes.append(shown)
    return notes


def _content(text: str) -> set[str]:
    return set(terms(text))


def _overlap(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    """The share of the smaller sentence's information the two share, words weighted by rarity in the story
    (names and words every outlet repeats, like the ministers' names, say little about *which* fact it is)."""
    shared = sum(idf.get(t, 0.0) for t in a & b)
    return shared / max(1e-9, min(sum(idf.get(t, 0.0) for t in a), sum(idf.get(t, 0.0) for t in b)))


def _quote(view: StoryPassages, passage: Passage) -> CompareQuote:
    source = next(s for s in view.story.sources if s.source_id == passage.source_id)
    start, end = passage.start, passage.end
    before = view.neighbour(passage, -1)
    if _ANAPHORIC.search(passage.text) and before is not None and before.kind == "body" \
            and "\n" not in source.text[before.end : passage.start]:
        start = before.start  # "The ministry denied this…" is quoted with what it denied
    spans = [(p.start, p.end) for p in view.of_source.get(source.source_id, [])]
    return CompareQuote(source_id=source.source_id, outlet=source.outlet, text=source.text[start:end], start=start,
                        end=end, attribution=attribute(source.text, (start, end), spans, (passage.start, passage.end)))


def compare_story(view: StoryPassages, vectors: dict[int, np.ndarray], topic: np.ndarray | None = None,
                  topic_cosine: float = 0.35) -> Comparison:
    """The story's content aligned across its outlets (vectors by passage id, L2-normalised)."""
    candidates = {s.source_id: [p for p in view.of_source.get(s.source_id, [])
                                if p.kind == "body" and len(p.text.split()) >= MIN_WORDS]
                  for s in view.story.sources}
    outlets = [sid for sid, ps in candidates.items() if ps]
    matrix = {sid: np.vstack([vectors[p.pid] for p in candidates[sid]]) for sid in outlets}
    content = {p.pid: _content(p.text) for ps in candidates.values() for p in ps}
    df: dict[str, int] = defaultdict(int)
    for words in content.values():
        for t in words:
            df[t] += 1
    idf = {t: math.log((len(content) + 1) / n) for t, n in df.items()}
    best_elsewhere: dict[int, float] = defaultdict(float)
    scores: dict[tuple[int, int], float] = {}
    pairs: list[tuple[float, int, int]] = []
    for i, a in enumerate(outlets):
        for b in outlets[i + 1 :]:
            sims = matrix[a] @ matrix[b].T
            score = sims + OVERLAP_WEIGHT * np.asarray(
                [[_overlap(content[p.pid], content[q.pid], idf) for q in candidates[b]] for p in candidates[a]])
            for row, p in enumerate(candidates[a]):
                best_elsewhere[p.pid] = max(best_elsewhere[p.pid], float(score[row].max()))
                for col, q in enumerate(candidates[b]):
                    scores[(p.pid, q.pid)] = scores[(q.pid, p.pid)] = float(score[row, col])
                    if sims[row, col] >= ALIGN_COSINE and score[row, col] >= ALIGN_SCORE:
                        pairs.append((float(score[row, col]), p.pid, q.pid))
            for col, q in enumerate(candidates[b]):
                best_elsewhere[q.pid] = max(best_elsewhere[q.pid], float(score[:, col].max()))
    members = _cluster(pairs, scores, {p.pid: p.source_id for ps in candidates.values() for p in ps})
    by_pid = {p.pid: p for ps in candidates.values() for p in ps}
    grouped = {pid for group in members for pid in group}
    groups = []
    for group in members:
        passages = sorted((by_pid[pid] for pid in group), key=lambda p: outlets.index(p.source_id))
        groups.append((passages, _shared_or_conflict(view, passages)))
    for sid in outlets:
        for p in candidates[sid]:
            if p.pid not in grouped and best_elsewhere[p.pid] < ONLY_SCORE:
                outlet = next(s.outlet for s in view.story.sources if s.source_id == sid)
                groups.append(([p], Group(kind="only", note=f"only {outlet} ({sid}) reports this",
                                          quotes=[_quote(view, p)])))
    if topic is not None:
        scored = [(max(float(vectors[p.pid] @ topic) for p in ps), ps, g) for ps, g in groups]
        groups = [(ps, g) for score, ps, g in sorted(scored, key=lambda t: -t[0]) if score >= topic_cosine]
    order = {"conflict": 0, "shared": 1, "only": 2}
    groups.sort(key=lambda item: (order[item[1].kind], -len(item[0]), item[0][0].pid))
    return Comparison(story=view.story.story_id, groups=[g for _, g in groups])


def _cluster(pairs: list[tuple[float, int, int]], scores: dict[tuple[int, int], float],
             outlet_of: dict[int, str]) -> list[list[int]]:
    """Join the best pairs first into groups holding at most one sentence per outlet, each newcomer as
    close on average to the group as a pair must be (chains of loosely related sentences stay apart)."""
    group_of: dict[int, int] = {}
    groups: dict[int, list[int]] = {}
    for _, p, q in sorted(pairs, reverse=True):
        gp, gq = group_of.get(p), group_of.get(q)
        if gp is not None and gp == gq:
            continue
        left = groups[gp] if gp is not None else [p]
        right = groups[gq] if gq is not None else [q]
        if {outlet_of[x] for x in left} & {outlet_of[y] for y in right}:
            continue
        if np.mean([scores[(x, y)] for x in left for y in right]) < ALIGN_SCORE:
            continue
        merged = left + right
        key = gp if gp is not None else (gq if gq is not None else p)
        for other in (gp, gq):
            if other is not None and other != key:
                groups.pop(other)
        groups[key] = merged
        for x in merged:
            group_of[x] = key
    return list(groups.values())


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
    quotations share most of their words, yet neither is the other or a part of it."""
    quoted = [(q.source_id, m.group(1).strip(" ,.")) for q in quotes for m in _QUOTED.finditer(q.text)]
    for i, (sid_a, a) in enumerate(quoted):
        for sid_b, b in quoted[i + 1 :]:
            if sid_a == sid_b:
                continue
            na, nb = _normal(a), _normal(b)
            if na == nb or na in nb or nb in na:
                continue
            wa, wb = set(na.split()), set(nb.split())
            if len(wa & wb) / max(1, min(len(wa), len(wb))) >= REWORDED_SHARE:
                return [(sid_a, a), (sid_b, b)]
    return []


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
