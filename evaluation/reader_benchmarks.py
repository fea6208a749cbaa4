"""The reader on public answer-sentence benchmarks, beside the engine's dense cosine on the same data.

    python -m evaluation.reader_benchmarks --data $SHARED/train/data [--reader FOLDER] [--limit 600]

- SQuAD 1.1 dev (split into sentences by storybot's splitter): per question, is the sentence holding
  the answer ranked first among its paragraph's sentences (hit@1), and MRR;
- SQuAD 2.0 dev, the half of its articles the reader never trains on: AUC of the best sentence's
  score, answerable questions against the unanswerable ones written to look answerable;
- WikiQA test and TrecQA test (measured only, never trained on): MAP and MRR over the questions with
  at least one answering sentence.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np

from evaluation.train_reader import auc
from index.sentences import sentence_spans


def _bucket_half(title: str) -> int:
    from evaluation.reader_data import _bucket

    return _bucket(title, 2)


def squad_groups(path: Path, limit: int, seed: int, half: int | None = None) -> list[tuple[str, list[str], list[int]]]:
    """(question, paragraph sentences, labels) for SQuAD questions whose answer sits in one sentence."""
    articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    items = []
    for article in articles:
        if half is not None and _bucket_half(article["title"]) == 0:
            continue  # the reader trains on this half
        for paragraph in article["paragraphs"]:
            sentences = [paragraph["context"][s:e] for s, e, _ in sentence_spans(paragraph["context"])]
            if len(sentences) < 2:
                continue
            for qa in paragraph["qas"]:
                answers = {a["text"].strip() for a in qa.get("answers", []) if a["text"].strip()}
                labels = [int(any(a in s for a in answers)) for s in sentences]
                if qa.get("is_impossible") or any(labels):
                    items.append((qa["question"], sentences, labels))
    random.Random(seed).shuffle(items)
    return items[:limit]


def table_groups(path: Path, question: str, sentence: str, label: str, delimiter: str) -> list[tuple[str, list[str], list[int]]]:
    groups: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL):
            texts, labels = groups[row[question]]
            texts.append(row[sentence])
            labels.append(int(row[label]))
    return [(q, texts, labels) for q, (texts, labels) in groups.items()]


def ranking_figures(scores: list[np.ndarray], labels: list[list[int]]) -> dict:
    """MAP, MRR and hit@1 over groups with at least one positive."""
    aps, rrs, hits = [], [], []
    for s, l in zip(scores, labels):
        l = np.asarray(l)
        if not l.any():
            continue
        order = np.argsort(-s, kind="stable")
        ranked = l[order]
        positions = np.flatnonzero(ranked) + 1
        aps.append(float(np.mean([(k + 1) / p for k, p in enumerate(positions)])))
        rrs.append(1.0 / positions[0])
        hits.append(float(ranked[0]))
    return {"questions": len(aps), "map": round(float(np.mean(aps)), 4), "mrr": round(float(np.mean(rrs)), 4),
            "hit@1": round(float(np.mean(hits)), 4)}


def score_groups(groups, scorers: dict) -> dict:
    out = {}
    for name, score in scorers.items():
        scores = [np.asarray(score(q, texts)) for q, texts, _ in groups]
        figures = ranking_figures(scores, [l for _, _, l in groups])
        answerable = [bool(any(l)) for _, _, l in groups]
        if not all(answerable):
            figures["answerable_auc"] = round(auc(np.asarray([s.max() for s in scores]), np.asarray(answerable)), 4)
        out[name] = figures
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="The folder holding squad/ and eval-only/.")
    parser.add_argument("--reader", default="packaged", help="packaged, or a reader folder.")
    parser.add_argument("--limit", type=int, default=600, help="Questions per benchmark.")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    from index.embedding import make_embedder
    from retrieval.reader import make_reader
    from retrieval.settings import Settings

    settings = Settings()
    reader = make_reader(args.reader, settings.export_root())
    embedder = make_embedder(settings.model, settings.batch_size, settings.export_root())

    def cosine(question: str, texts: list[str]) -> np.ndarray:
        vectors = embedder.embed([question] + texts)
        return vectors[1:] @ vectors[0]

    scorers = {"reader": reader.score, "dense_cosine": cosine}
    data = args.data
    benchmarks = {
        "squad1.1-dev": squad_groups(data / "squad" / "dev-v1.1.json", args.limit, args.seed),
        "squad2.0-dev-held-out-half": squad_groups(data / "squad" / "dev-v2.0.json", args.limit, args.seed, half=1),
        "wikiqa-test": table_groups(data / "eval-only" / "wikiqa" / "WikiQA-test.tsv", "Question", "Sentence", "Label", "\t"),
        "trecqa-test": table_groups(data / "eval-only" / "trecqa" / "test.csv", "qtext", "atext", "label", ","),
    }
    report = {name: score_groups(groups[: args.limit], scorers) for name, groups in benchmarks.items()}
    print(json.dumps(report, indent=2), flush=True)


if __name__ == "__main__":
    main()
