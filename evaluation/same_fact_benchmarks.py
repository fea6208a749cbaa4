"""The same-fact model on public sentence-pair benchmarks, beside the embedder's cosine on the same pairs.

    python -m evaluation.same_fact_benchmarks --data $SHARED/train/data --model FOLDER [--limit 0]

FOLDER is a same-fact model `evaluation.train_reader --task same-fact` wrote (with its ONNX export from
`evaluation.export_reader`, or torch).

- STS-B test (never trained on): Spearman and Pearson correlation of the probability with the human
  similarity score, over all pairs and over the news genre;
- MRPC test (news sentence pairs, paraphrase or not; measured only, never trained on): accuracy and F1
  of "same fact" at probability 0.5 (cosine: at the threshold that is best on STS-B dev, scores ≥ 4
  counted same), and AUC.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from evaluation.same_fact_data import _sts_rows
from evaluation.train_reader import auc


def mrpc_rows(path: Path) -> list[tuple[int, str, str]]:
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return [(int(row[0]), row[3], row[4]) for row in reader if len(row) >= 5]


def _rank(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks


def correlations(scores: np.ndarray, gold: np.ndarray) -> dict:
    return {"spearman": round(float(np.corrcoef(_rank(scores), _rank(gold))[0, 1]), 4),
            "pearson": round(float(np.corrcoef(scores, gold)[0, 1]), 4), "pairs": int(len(gold))}


def classification(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    said = scores >= threshold
    true_pos = int((said & (labels == 1)).sum())
    precision = true_pos / max(1, int(said.sum()))
    recall = true_pos / max(1, int((labels == 1).sum()))
    return {"accuracy": round(float((said == (labels == 1)).mean()), 4),
            "f1": round(2 * precision * recall / max(1e-9, precision + recall), 4),
            "auc": round(auc(scores, labels), 4), "threshold": round(threshold, 3), "pairs": int(len(labels))}


def best_threshold(scores: np.ndarray, same: np.ndarray) -> float:
    """The threshold with the best accuracy on these scores (for the cosine, whose scale is not a probability)."""
    candidates = np.unique(np.round(scores, 3))
    return float(max(candidates, key=lambda t: float(((scores >= t) == same).mean())))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="The public datasets folder (sts/, eval-only/mrpc/).")
    parser.add_argument("--model", type=Path, required=True, help="A same-fact model folder.")
    parser.add_argument("--limit", type=int, default=0, help="At most this many pairs of each set (0: all).")
    args = parser.parse_args(argv)
    from index.embedding import make_embedder
    from retrieval.reader import CrossEncoderReader
    from retrieval.settings import Settings

    settings = Settings()
    model = CrossEncoderReader(args.model, settings.export_root())
    embedder = make_embedder(settings.model, settings.batch_size, settings.export_root())

    def cosine(pairs):
        first = embedder.embed([a for a, _ in pairs])
        second = embedder.embed([b for _, b in pairs])
        return np.sum(first * second, axis=1)

    def limit(rows):
        return rows[: args.limit] if args.limit else rows

    out = {}
    dev = _sts_rows(args.data / "sts" / "sts-dev.csv")
    dev_cos = cosine([(a, b) for _, a, b, _ in dev])
    cos_threshold = best_threshold(dev_cos, np.asarray([s >= 4 for s, *_ in dev]))
    test = limit(_sts_rows(args.data / "sts" / "sts-test.csv"))
    pairs = [(a, b) for _, a, b, _ in test]
    gold = np.asarray([s for s, *_ in test])
    news = np.asarray(["news" in genre for *_, genre in test])
    for name, scores in (("same_fact", model.score_pairs(pairs)), ("cosine", cosine(pairs))):
        out[f"sts_b_test_{name}"] = correlations(scores, gold)
        out[f"sts_b_test_news_{name}"] = correlations(scores[news], gold[news])
    mrpc = limit(mrpc_rows(args.data / "eval-only" / "mrpc" / "msr_paraphrase_test.txt"))
    pairs = [(a, b) for _, a, b in mrpc]
    labels = np.asarray([label for label, *_ in mrpc])
    out["mrpc_test_same_fact"] = classification(model.score_pairs(pairs), labels, 0.5)
    out["mrpc_test_cosine"] = classification(cosine(pairs), labels, cos_threshold)
    out["mrpc_test_positive_share"] = round(float(labels.mean()), 4)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
