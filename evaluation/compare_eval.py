"""`storybot compare` against exhaustive anchor labels (`tests/data/compare_groups.jsonl`).

    python -m evaluation.compare_eval [LABELS] [--tuned STORY …]

Labels. Each label has one *anchor*: a fact as one outlet states it, named by phrases of that
outlet's sentences (usually one; several when the outlet states the fact in more than one sentence; a
phrase found twice marks a sentence the outlet prints twice). Its `matches` list *every* sentence in
every other outlet that states the same fact — written by reading the articles, not the system's
output. `related` lists sentences on the same event but about another of its details: pairing them
with the anchor is neither right nor wrong. A label with no matches is the anchor outlet's own fact
(`only`); `conflict` marks a match whose figures or quoted words differ (letters inside quotation
marks differ once case, spacing, punctuation and [editorial] brackets are ignored). On the five-outlet
stories every body sentence of the two shortest outlets is an anchor, so no fact is chosen for being
easy; on the seed story the anchors are 18 chosen facts. The thresholds in `retrieval/alignment.py`
are tuned on the stories in `TUNED`; newswcl50 events 3 and 8 (every body sentence of 3_R, 3_RR, 8_LL
and 8_RR an anchor) and two allsides events (every body sentence of their two shortest outlets an
anchor) are held out, and their labels were written without seeing compare's output on them. Labels
name articles by file stem; a library's uniqueness suffix ("cnn-2") is resolved per story.

Measures, pair by pair within that scope:
- alignment precision: of the cross-outlet pairs inside `shared`/`conflict` groups that hold an anchor
  sentence, the share whose other sentence is one of that anchor's matches (pairs with a `related`
  sentence are left out). A correct group about sentences nobody labelled is never counted wrong, and a
  wrong pair with an anchor always is.
- alignment recall: of the (anchor, other outlet) pairs the labels give, the share where one group
  holds the anchor and one of its matches in that outlet.
- conflict precision: of the `conflict` groups that pair an anchor with one of its matches, the share
  whose label is `conflict`; conflict recall: the share of `conflict` labels whose anchor a `conflict`
  group pairs with one of its matches.
- only-in recall / precision: the anchors with no matches found in an `only` group of their outlet, and
  the share of `only` groups holding an anchor that have no matches.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from retrieval.comparison import Comparison

ROOT = Path(__file__).resolve().parent.parent
Spot = tuple[str, int]  # (source_id, character offset of a label's phrase)


class CompareFigures(BaseModel):
    pairs_scored: int
    pairs_right: int
    pairs_related: int
    alignment_precision: float
    labelled_pairs: int
    labelled_found: int
    alignment_recall: float
    conflict_groups: int
    conflicts_right: int
    conflict_precision: float
    conflict_labels: int
    conflicts_found: int
    conflict_recall: float
    only_labels: int
    only_found: int
    only_recall: float
    only_groups: int
    only_right: int
    only_precision: float


@dataclass
class Label:
    story: str
    kind: str
    outlet: str
    anchor: list[Spot]
    matches: dict[str, list[Spot]]
    related: set[Spot] = field(default_factory=set)


def _spots(texts: dict[str, str], source_id: str, phrase: str) -> list[Spot]:
    """Every place the phrase occurs (an outlet that prints a sentence twice has it twice)."""
    text = texts[source_id]
    found = [(source_id, at) for at in range(len(text)) if text.startswith(phrase, at)]
    if not found:
        raise ValueError(f"label phrase not found in {source_id}: {phrase!r}")
    return found


def _source_id(stem: str, ids: list[str]) -> str:
    """The story's source for a label's article stem: the stem itself, or the stem with the uniqueness
    suffix a library gave it ("cnn-2")."""
    suffixed = re.compile(re.escape(stem) + r"(?:-\d+)?")
    found = [s for s in ids if s == stem] or [s for s in ids if suffixed.fullmatch(s)]
    if len(found) != 1:
        raise ValueError(f"no single source for label article {stem!r} among {ids}")
    return found[0]


def load_labels(raw: list[dict], texts: dict[str, str], story_sources: dict[str, list[str]] | None = None
                ) -> list[Label]:
    """Labels with each phrase located in its source (`story_sources`: each story's source ids, to resolve
    article stems a library suffixed)."""
    labels = []
    for item in raw:
        ids = (story_sources or {}).get(item["story"])

        def sid_of(stem: str) -> str:
            return _source_id(stem, ids) if ids else stem

        (outlet, phrases), = item["anchor"].items()
        outlet = sid_of(outlet)

        def spots(members: dict[str, list[str]]) -> dict[str, list[Spot]]:
            return {sid_of(sid): [s for p in ps for s in _spots(texts, sid_of(sid), p)] for sid, ps in members.items()}

        labels.append(Label(story=item["story"], kind=item["kind"], outlet=outlet,
                            anchor=[s for p in phrases for s in _spots(texts, outlet, p)],
                            matches=spots(item.get("matches", {})),
                            related={s for ss in spots(item.get("related", {})).values() for s in ss}))
    return labels


def body_scope(labels: list[Label], kind_at: dict[str, list[tuple[int, int, str]]]) -> tuple[list[Label], int]:
    """The labels `compare` is asked to find: headlines and page furniture never form groups, so a phrase in
    a passage the splitter labels headline or furniture leaves the labels (`kind_at`: each source's
    passages as (start, end, kind)). A label whose anchor is all outside body text goes, and so does one
    whose every match is (another outlet states the fact only in its headline: neither shared nor only).
    Returns the labels kept and how many went."""
    def body(spot: Spot) -> bool:
        return any(start <= spot[1] < end and kind == "body" for start, end, kind in kind_at.get(spot[0], []))

    kept = []
    for label in labels:
        anchor = [s for s in label.anchor if body(s)]
        matches = {sid: [s for s in spots if body(s)] for sid, spots in label.matches.items()}
        matches = {sid: spots for sid, spots in matches.items() if spots}
        if not anchor or (label.matches and not matches):
            continue
        kept.append(Label(story=label.story, kind=label.kind, outlet=label.outlet, anchor=anchor, matches=matches,
                          related=label.related))
    return kept, len(labels) - len(kept)


def _covers(quote, spots) -> bool:
    return any(quote.source_id == sid and quote.start <= at < quote.end for sid, at in spots)


def _ratio(right: int, total: int) -> float:
    return round(right / total, 4) if total else 1.0


def score(labels: list[Label], comparisons: dict[str, Comparison]) -> CompareFigures:
    """Pairwise precision and recall of the aligned groups within the labels' anchors (see the module doc)."""
    scored = right = related = 0
    conflict_groups = conflicts_right = 0
    only_groups = only_right = 0
    found: set[tuple[int, str]] = set()
    conflicts_found: set[int] = set()
    for story, comparison in comparisons.items():
        story_labels = [(n, label) for n, label in enumerate(labels) if label.story == story]
        for group in comparison.groups:
            if group.kind == "only":
                held = [label for _, label in story_labels if _covers(group.quotes[0], label.anchor)]
                only_groups += bool(held)
                only_right += bool(held) and not any(label.matches for label in held)
                continue
            conflict_seen = conflict_right = False
            for i, a in enumerate(group.quotes):
                for b in group.quotes[i + 1 :]:
                    if a.source_id == b.source_id:
                        continue
                    verdicts = []
                    for n, label in story_labels:
                        for anchor, other in ((a, b), (b, a)):
                            if not _covers(anchor, label.anchor):
                                continue
                            if _covers(other, label.matches.get(other.source_id, [])):
                                verdicts.append("right")
                                found.add((n, other.source_id))
                                conflict_seen = True
                                conflict_right |= label.kind == "conflict"
                                if group.kind == "conflict" and label.kind == "conflict":
                                    conflicts_found.add(n)
                            elif _covers(other, label.related):
                                verdicts.append("related")
                            else:
                                verdicts.append("wrong")
                    if not verdicts:
                        continue
                    if "right" in verdicts:
                        scored += 1
                        right += 1
                    elif "related" in verdicts:
                        related += 1
                    else:
                        scored += 1
            if group.kind == "conflict" and conflict_seen:
                conflict_groups += 1
                conflicts_right += conflict_right
    labelled = sum(len(label.matches) for label in labels if label.story in comparisons)
    only = [(n, label) for n, label in enumerate(labels) if label.story in comparisons and not label.matches]
    only_found = sum(any(g.kind == "only" and _covers(g.quotes[0], label.anchor)
                         for g in comparisons[label.story].groups) for _, label in only)
    return CompareFigures(
        pairs_scored=scored, pairs_right=right, pairs_related=related, alignment_precision=_ratio(right, scored),
        labelled_pairs=labelled, labelled_found=len(found), alignment_recall=_ratio(len(found), labelled),
        conflict_groups=conflict_groups, conflicts_right=conflicts_right,
        conflict_precision=_ratio(conflicts_right, conflict_groups),
        conflict_labels=sum(label.kind == "conflict" for label in labels if label.story in comparisons),
        conflicts_found=len(conflicts_found),
        conflict_recall=_ratio(len(conflicts_found), sum(label.kind == "conflict" for label in labels
                                                           if label.story in comparisons)),
        only_labels=len(only), only_found=only_found, only_recall=_ratio(only_found, len(only)),
        only_groups=only_groups, only_right=only_right, only_precision=_ratio(only_right, only_groups))


def read_labels(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def line(name: str, f: CompareFigures) -> str:
    return (f"{name:<28} precision {f.alignment_precision:.3f} ({f.pairs_right}/{f.pairs_scored}) "
            f"recall {f.alignment_recall:.3f} ({f.labelled_found}/{f.labelled_pairs})  conflict precision "
            f"{f.conflict_precision:.3f} ({f.conflicts_right}/{f.conflict_groups}) recall {f.conflict_recall:.3f} "
            f"({f.conflicts_found}/{f.conflict_labels})  only-in recall "
            f"{f.only_recall:.3f} ({f.only_found}/{f.only_labels}) precision {f.only_precision:.3f} "
            f"({f.only_right}/{f.only_groups})")


# Stories the thresholds in retrieval/alignment.py are tuned on; every other labelled story is held out.
TUNED = ("newswcl50-event-0", "newswcl50-event-1", "newswcl50-event-6", "newswcl50-event-9",
         "shoigu-lecornu-call-2024")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", nargs="?", type=Path, default=ROOT / "tests" / "data" / "compare_groups.jsonl")
    parser.add_argument("--tuned", nargs="*", default=list(TUNED), help="stories the thresholds were tuned on")
    args = parser.parse_args()
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    raw = read_labels(args.labels)
    comparisons, texts, kind_at, story_sources, timings = {}, {}, {}, {}, {}
    for corpus in sorted({item["corpus"] for item in raw}):
        folder = None if corpus == "seeds" else ROOT.parent / "shared" / "corpora" / corpus
        engine = Engine(Settings(corpus=folder))
        engine.load()
        for story in sorted({item["story"] for item in raw if item["corpus"] == corpus}):
            started = time.perf_counter()
            comparisons[story] = engine.compare(story)
            first = time.perf_counter() - started
            warm = []
            for _ in range(3):
                started = time.perf_counter()
                engine.compare(story)
                warm.append(time.perf_counter() - started)
            view = engine.view(story)[0]
            timings[story] = (first, statistics.median(warm), len(view.story.sources))
            texts.update({s.source_id: s.text for s in view.story.sources})
            story_sources[story] = [s.source_id for s in view.story.sources]
            kind_at.update({sid: [(p.start, p.end, p.kind) for p in ps] for sid, ps in view.of_source.items()})
    labels, dropped = body_scope(load_labels(raw, texts, story_sources), kind_at)
    if dropped:
        print(f"{dropped} of {len(raw)} labels left out: their anchor, or every match, is headline or furniture")
    for story, comparison in comparisons.items():
        print(line(story + (" (tuned)" if story in args.tuned else ""), score(labels, {story: comparison})))
    print(line("tuned, all", score(labels, {s: c for s, c in comparisons.items() if s in args.tuned})))
    held = {s: c for s, c in comparisons.items() if s not in args.tuned}
    five = {s: c for s, c in held.items() if s.startswith("newswcl50")}
    print(line("held out, all", score(labels, held)))
    print(line("held out, five-outlet", score(labels, five)))
    print(line("held out, allsides", score(labels, {s: c for s, c in held.items() if s not in five})))
    print(line("all stories", score(labels, comparisons)))
    for story, (first, warm, outlets) in timings.items():
        print(f"{story:<28} {outlets} outlets: compare {first:.2f} s the first time, {warm:.2f} s warm (median of 3)")


if __name__ == "__main__":
    main()
