"""Attribution precision and recall on hand-labelled sentences (`tests/data/attribution_labels.jsonl`).

    python -m evaluation.attribution_eval [LABELS] [--shared SHARED]

SHARED is the data set folder that holds the corpora (default: `shared` beside the project folder).

A label names its source by `corpus` (`seeds`, or a folder under `<shared>/corpora`) and `source_id`, and
its sentence either by a few of its words (`sentence`) or, for corpora whose terms forbid copying excerpts
(allsides), by the offsets of the labelled sentence in the source text (`start`, `end`) with the first 12
hex digits of its SHA-1 (`sha1`), so a changed corpus fails loudly instead of moving the label.

A prediction is right when the labelled speaker and the predicted one share a run of words, one holding
the other ("Matthew Pottinger" for "Matthew Pottinger, senior director…", "Frieden" for "CDC chief Thomas
Frieden"); a speaker that still carries a dateline ("Ohio — State officials") is wrong, and so is any
speaker named for a sentence labelled null.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

from pydantic import BaseModel

from index.ingest import Draft, read_inputs
from index.models import Passage, Source
from index.sentences import split_passages
from retrieval.attribution import attribute

ROOT = Path(__file__).resolve().parent.parent
_DASH = re.compile(r"\s(?:—|–|--|-)\s")
_WORDS = re.compile(r"[\w'’.-]+")


class AttributionFigures(BaseModel):
    sentences: int
    labelled_speakers: int
    predicted: int
    correct: int
    precision: float
    recall: float
    errors: list[str]


def sentence_hash(text: str) -> str:
    """The label's check on its sentence: 12 hex digits of the SHA-1 of its UTF-8 text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def names_the_speaker(found: str, gold: str) -> bool:
    """Tell whether a predicted speaker names the labelled one (a shared run of words, no dateline)."""
    if _DASH.search(found):
        return False
    a, b = ([w.strip(".").lower() for w in _WORDS.findall(s)] for s in (found, gold))
    short, long = sorted((a, b), key=len)
    return bool(short) and any(long[i : i + len(short)] == short for i in range(len(long) - len(short) + 1))


def _passage(row: dict, passages: list[Passage], text: str) -> Passage:
    if "sentence" in row:
        hits = [p for p in passages if row["sentence"] in p.text]
        if not hits:
            raise ValueError(f"no sentence of {row['source_id']} holds {row['sentence']!r}")
        return hits[0]
    if sentence_hash(text[row["start"] : row["end"]]) != row["sha1"]:
        raise ValueError(f"{row['corpus']}/{row['source_id']} {row['start']}:{row['end']} is not the labelled "
                         f"sentence (SHA-1 {row['sha1']}): the corpus changed")
    hits = [p for p in passages if p.start <= row["start"] < p.end]
    if not hits:
        raise ValueError(f"no sentence of {row['source_id']} starts at {row['start']}")
    return hits[0]


def evaluate(labels: Path, shared: Path) -> AttributionFigures:
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts: dict[tuple[str, str], str] = {}
    for corpus in {r["corpus"] for r in rows}:
        folder = ROOT / "seeds" if corpus == "seeds" else shared / "corpora" / corpus
        texts.update({(corpus, d.source_id): d.text for d in read_inputs([str(folder)]) if isinstance(d, Draft)})
    predicted = correct = 0
    errors = []
    for row in rows:
        text = texts[row["corpus"], row["source_id"]]
        passages = split_passages(Source(source_id=row["source_id"], story_id="s", outlet="o", title="t", text=text))
        spans = [(p.start, p.end) for p in passages]
        passage = _passage(row, passages, text)
        found = attribute(text, (passage.start, passage.end), spans)
        gold = row["speaker"]
        where = f"{row['corpus']}/{row['source_id']} {passage.start}:{passage.end} {passage.text[:48]!r}"
        if found is not None:
            predicted += 1
            right = gold is not None and names_the_speaker(found.speaker, gold)
            correct += right
            if not right:
                errors.append(f"{where}: said {found.speaker!r}, label {gold!r}")
        elif gold is not None:
            errors.append(f"{where}: said nothing, label {gold!r}")
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
