"""Compare the outlets of a story: what several report, what only one reports, where their figures or
quoted words differ — as groups of verbatim quotes.

Two sentences of different outlets state one fact when each is the other's best partner in its outlet,
by a clear margin over the runner-up (or by a very high score), where a pair's score is its cosine plus
the rarity-weighted share of words the two have in common, taken relative to the story's mean pair; or
when one is the other's best partner by a wide margin over its own runner-up, whatever the partner
prefers (a lead that reports three facts is the best partner of three sentences, and can prefer only
one). Pairs join into groups, best first, with at most one sentence per outlet and only when a newcomer
fits most of the group; a sentence that reports several facts may sit in up to three groups. A sentence
that resembles nothing in any other outlet is that outlet's own. Headlines and page furniture never take
part.
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

# Pair scores are cosine + OVERLAP_WEIGHT × shared rare words, less the story's mean pair score. The
# thresholds below are tuned on the labelled stories in `evaluation.compare_eval.TUNED`; the other labelled
# stories are held out to check them (`python -m evaluation.compare_eval`).
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
MIN_WORDS = 6
MIN_QUOTE_WORDS = 4  # shorter quotations ("serious reservations") are phrases, not statements to compare
SAME_RUN = 5  # …and this many words in a row: two quotations render one statement, not two that look alike
REWORDED_SHARE = 0.5  # quotations sharing at least this share of the shorter one's words render one statement

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(%|percent|per cent)?(?:\s+(?:people|of\s+the))?"
                     r"\s*([a-z]+)?", re.IGNORECASE)
_EDITORIAL = re.compile(r"\[[^\]]*\]|\([^)]*\)")  # [him], (Russian President Vladimir)
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
    by_pid = {p.pid: p for sid in outlets for p in candidates[sid]}
    outlet_of = {pid: p.source_id for pid, p in by_pid.items()}
    scores = _pair_scores(candidates, outlets, vectors)
    pairs = _aligned_pairs(candidates, outlets, scores)
    members = _cluster(pairs, scores, outlet_of)
    grouped = {pid for group in members for pid in group}
    groups = []
    for group in members:
        passages = sorted((by_pid[pid] for pid in group), key=lambda p: (outlets.index(p.source_id), p.start))
        groups.append((passages, _shared_or_conflict(view, passages)))
    best_elsewhere: dict[int, float] = defaultdict(float)
    for (p, _), score in scores.items():
        best_elsewhere[p] = max(best_elsewhere[p], score)
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


def _pair_scores(candidates: dict[str, list[Passage]], outlets: list[str], vectors: dict[int, np.ndarray]
                 ) -> dict[tuple[int, int], float]:
    """Each cross-outlet pair's score: cosine + OVERLAP_WEIGHT × the rarity-weighted share of words they share,
    less the story's mean pair score."""
    content = {p.pid: _content(p.text) for sid in outlets for p in candidates[sid]}
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


def _aligned_pairs(candidates: dict[str, list[Passage]], outlets: list[str], scores: dict[tuple[int, int], float]
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


def _cluster(pairs: list[tuple[float, int, int]], scores: dict[tuple[int, int], float],
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
