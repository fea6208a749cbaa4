"""Attribution precision and recall on hand-labelled sentences (`tests/data/attribution_labels.jsonl`).

    python -m evaluation.attribution_eval [LABELS] [--shared SHARED]

SHARED is the data set folder that holds the corpora (default: `shared` beside the project folder).

A prediction is right when it names the labelled speaker (one contains the other: "Matthew Pottinger"
for "Matthew Pottinger, senior director…"); a speaker named for a sentence labelled null is wrong.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pydantic import BaseModel

from index.ingest import Draft, read_inputs
from index.models import Source
from index.sentences import split_passages
from retrieval.attribution import attribute

ROOT = Path(__file__).resolve().parent.parent


class AttributionFigures(BaseModel):
    sentences: int
    labelled_speakers: int
    predicted: int
    correct: int
    precision: float
    recall: float
    errors: list[str]


def evaluate(labels: Path, shared: Path) -> AttributionFigures:
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    folders = {"seeds": ROOT / "seeds"}
    texts: dict[str, str] = {}
    for corpus in {r["corpus"] for r in rows}:
        folder = folders.get(corpus, shared / "corpora" / corpus)
        texts.update({d.source_id: d.text for d in read_inputs([str(folder)]) if isinstance(d, Draft)})
    predicted = correct = 0
    errors = []
    for row in rows:
        text = texts[row["source_id"]]
        passages = split_passages(Source(source_id=row["source_id"], story_id="s", outlet="o", title="t", text=text))
        spans = [(p.start, p.end) for p in passages]
        [passage] = [p for p in passages if row["sentence"] in p.text][:1] or [None]
        if passage is None:
            raise ValueError(f"no sentence of {row['source_id']} holds {row['sentence']!r}")
        found = attribute(text, (passage.start, passage.end), spans)
        gold = row["speaker"]
        if found is not None:
            predicted += 1
            right = gold is not None and (found.speaker.lower() in gold.lower() or gold.lower() in found.speaker.lower())
            correct += right
            if not right:
                errors.append(f"{row['source_id']} {row['sentence']!r}: said {found.speaker!r}, label {gold!r}")
        elif gold is not None:
            errors.append(f"{row['source_id']} {row['sentence']!r}: said nothing, label {gold!r}")
    gold_count = sum(r["speaker"] is not None for r in rows)
    return AttributionFigures(sentences=len(rows), labelled_speakers=gold_count, predicted=predicted, correct=correct,
                              precision=round(correct / predicted, 4) if predicted else 1.0,
                              recall=round(correct / gold_count, 4) if gold_count else 1.0, errors=errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", nargs="?", type=Path, default=ROOT / "tests" / "data" / "attribution_labels.jsonl")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    figures = evaluate(args.labels, args.shared)
    print(f"attribution on {figures.sentences} sentences ({figures.labelled_speakers} with a speaker): "
          f"precision {figures.precision:.3f} ({figures.correct}/{figures.predicted}), "
          f"recall {figures.recall:.3f} ({figures.correct}/{figures.labelled_speakers})")
    for error in figures.errors:
        print("  -", error)


if __name__ == "__main__":
    main()
