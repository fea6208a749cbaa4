"""`storybot compare` against hand-labelled groups (`tests/data/compare_groups.jsonl`).

    python -m evaluation.compare_eval [LABELS]

Each label names a story, a kind (shared, conflict, only) and per outlet the phrases that locate its
sentence. An aligned label (shared or conflict) is found when one aligned group quotes every labelled
outlet at one of its phrases; an aligned group is right when it finds some aligned label. An `only`
label is found when an `only` group of that outlet quotes the phrase.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pydantic import BaseModel

from retrieval.comparison import Comparison, Group

ROOT = Path(__file__).resolve().parent.parent


class CompareFigures(BaseModel):
    aligned_labels: int
    aligned_found: int
    aligned_groups: int
    aligned_right: int
    alignment_precision: float
    alignment_recall: float
    conflict_groups: int
    conflicts_right: int
    conflict_precision: float
    only_labels: int
    only_found: int
    only_recall: float


def _holds(group: Group, members: dict[str, list[str]]) -> bool:
    quotes = {q.source_id: q.text for q in group.quotes}
    return all(sid in quotes and any(p in quotes[sid] for p in phrases) for sid, phrases in members.items())


def score(labels: list[dict], comparisons: dict[str, Comparison]) -> CompareFigures:
    aligned = [label for label in labels if label["kind"] in ("shared", "conflict")]
    only = [label for label in labels if label["kind"] == "only"]
    groups = [(label_story, g) for label_story, c in comparisons.items() for g in c.groups]
    predicted = [(s, g) for s, g in groups if g.kind in ("shared", "conflict")]
    found = sum(any(s == label["story"] and _holds(g, label["members"]) for s, g in predicted) for label in aligned)
    right = sum(any(s == label["story"] and _holds(g, label["members"]) for label in aligned) for s, g in predicted)
    conflicts = [(s, g) for s, g in predicted if g.kind == "conflict"]
    conflicts_right = sum(any(s == label["story"] and label["kind"] == "conflict" and _holds(g, label["members"])
                              for label in aligned) for s, g in conflicts)
    only_found = sum(any(s == label["story"] and g.kind == "only" and _holds(g, label["members"]) for s, g in groups)
                     for label in only)
    return CompareFigures(
        aligned_labels=len(aligned), aligned_found=found, aligned_groups=len(predicted), aligned_right=right,
        alignment_precision=round(right / len(predicted), 4) if predicted else 1.0,
        alignment_recall=round(found / len(aligned), 4) if aligned else 1.0,
        conflict_groups=len(conflicts), conflicts_right=conflicts_right,
        conflict_precision=round(conflicts_right / len(conflicts), 4) if conflicts else 1.0,
        only_labels=len(only), only_found=only_found, only_recall=round(only_found / len(only), 4) if only else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", nargs="?", type=Path, default=ROOT / "tests" / "data" / "compare_groups.jsonl")
    args = parser.parse_args()
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    comparisons = {}
    for corpus in sorted({label["corpus"] for label in labels}):
        folder = None if corpus == "seeds" else ROOT.parent / "shared" / "corpora" / corpus
        engine = Engine(Settings(corpus=folder))
        for story in sorted({label["story"] for label in labels if label["corpus"] == corpus}):
            comparisons[story] = engine.compare(story)
    figures = score(labels, comparisons)
    print(f"alignment precision {figures.alignment_precision:.3f} ({figures.aligned_right}/{figures.aligned_groups}), "
          f"recall {figures.alignment_recall:.3f} ({figures.aligned_found}/{figures.aligned_labels}); conflict precision "
          f"{figures.conflict_precision:.3f} ({figures.conflicts_right}/{figures.conflict_groups}); only-in recall "
          f"{figures.only_recall:.3f} ({figures.only_found}/{figures.only_labels})")


if __name__ == "__main__":
    main()
