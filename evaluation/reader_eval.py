"""Measure the reader as a re-ranker and as an answerability signal on the dev sets.

For every (question, outlet) pair of a set, the outlet's first `top` candidates in the engine's order
are scored by the reader (the quote span each would give, cut from the source text). For pairs with
gold phrases: hit@1 / hit@2 of the engine's order, the reader's order and a blend (reader probability
and the candidate's relevance over the outlet's best, mixed half and half). For all pairs: the AUC of
the reader's best probability among the candidates, gold pairs against null pairs, beside the AUC of
the engine's own answerability probability.

    python -m evaluation.reader_eval tests/data/seed_dev_questions.jsonl $SHARED/eval/dev_questions.jsonl \
        tests/data/basil_dev_questions.jsonl@$SHARED/corpora/basil

(SHARED is the data set folder that holds the corpora and the shared dev questions.)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from evaluation.harness import load_questions, quote_hits
from evaluation.train_reader import auc
from retrieval.engine import Engine
from retrieval.reader import Reader, make_reader
from retrieval.settings import Settings

BLEND = 0.5


def blend(reader: np.ndarray, relevance: np.ndarray, weight: float = BLEND) -> np.ndarray:
    """The reader's probability mixed with the engine's relevance scaled by the outlet's best."""
    top = max(float(np.max(relevance)), 1e-9) if len(relevance) else 1.0
    return weight * reader + (1 - weight) * np.asarray(relevance) / top


def evaluate_set(name: str, engine: Engine, reader: Reader, path: Path, top: int = 8,
                 weights: tuple[float, ...] = (BLEND,), read: str = "span") -> dict:
    """The re-ranking and answerability figures of one question set."""
    orders = ["engine", "reader", *[f"blend_{w:g}" for w in weights]]
    hits = {o: [0, 0] for o in orders}
    gold_pairs = in_top = 0
    best, engine_p, labels, ms = [], [], [], []
    for question in load_questions(path):
        story = question.story or engine.library.story_of(question.gold)
        for item in engine.evidence(question.q, story):
            phrases = question.gold.get(item.source.source_id, "absent")
            if phrases == "absent" or not item.ranked:
                continue
            candidates = item.ranked[:top]
            texts = [item.source.text[c.span[0] : c.span[1]] for c in candidates]
            read_texts = texts if read == "span" else [item.source.text[slice(*(c.sentence or c.span))] for c in candidates]
            started = time.perf_counter()
            probs = reader.score(question.q, read_texts)
            ms.append((time.perf_counter() - started) * 1000)
            best.append(float(probs.max()))
            engine_p.append(engine.answerability.probability(item.features))
            labels.append(phrases is not None)
            if phrases is None:
                continue
            gold_pairs += 1
            in_top += any(quote_hits([t], phrases) for t in texts)
            relevance = np.asarray([c.relevance for c in candidates])
            ranked = {"engine": np.arange(len(texts)), "reader": np.argsort(-probs, kind="stable")}
            for w in weights:
                ranked[f"blend_{w:g}"] = np.argsort(-blend(probs, relevance, w), kind="stable")
            for o in orders:
                order = ranked[o]
                hits[o][0] += quote_hits([texts[order[0]]], phrases)
                hits[o][1] += quote_hits([texts[i] for i in order[:2]], phrases)
    labels_a = np.asarray(labels)
    return {
        "set": name, "read": read, "gold_pairs": gold_pairs, "null_pairs": int((~labels_a).sum()), "top": top,
        **{f"{o}_hit@1": round(hits[o][0] / max(1, gold_pairs), 3) for o in orders},
        **{f"{o}_hit@2": round(hits[o][1] / max(1, gold_pairs), 3) for o in orders},
        f"gold_in_top{top}": round(in_top / max(1, gold_pairs), 3),
        "reader_best_auc": round(auc(np.asarray(best), labels_a), 3),
        "engine_answerability_auc": round(auc(np.asarray(engine_p), labels_a), 3),
        "reader_ms_p50": round(float(np.median(ms)), 1) if ms else None,
    }


def latency_and_agreement(sets: list[str], calls: int = 50, pairs: int = 25, seed: int = 13) -> dict:
    """Median ms of one `score` call with `pairs` (question, sentence) pairs over `calls` calls (ONNX),
    and the largest probability gap between the ONNX export and torch on the same calls."""
    from index.ingest import Draft, read_inputs
    from index.models import Source
    from index.sentences import split_passages
    from retrieval.reader import PACKAGED, CrossEncoderReader

    questions, sentences = [], []
    for item in sets:
        path, _, corpus = item.partition("@")
        questions += [q.q for q in load_questions(Path(path))]
        if corpus:
            for d in read_inputs([corpus]):
                if isinstance(d, Draft):
                    source = Source(source_id=d.source_id or "", story_id=d.story_id or "", outlet="", title="", text=d.text)
                    sentences += [p.text for p in split_passages(source) if p.kind == "body"]
    rng = np.random.default_rng(seed)
    batches = [(questions[k % len(questions)], [sentences[j] for j in rng.choice(len(sentences), pairs, replace=False)])
               for k in range(calls)]
    onnx = CrossEncoderReader(PACKAGED, Settings().export_root())
    onnx.warm_up()
    ms, scored = [], []
    for question, batch in batches:
        started = time.perf_counter()
        scored.append(onnx.score(question, batch))
        ms.append((time.perf_counter() - started) * 1000)
    reference = CrossEncoderReader(PACKAGED, None)
    gap = max(float(np.abs(reference.score(q, b) - p).max()) for (q, b), p in zip(batches, scored))
    return {"backend": onnx.backend, "pairs_per_call": pairs, "calls": calls, "ms_median": round(float(np.median(ms)), 1),
            "ms_p90": round(float(np.percentile(ms, 90)), 1), "onnx_vs_torch_max_prob_gap": round(gap, 6)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="QUESTIONS.jsonl[@CORPUS] (corpus default: the library).")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--reader", default="packaged", help="packaged or fake")
    parser.add_argument("--read", choices=["span", "sentence"], default="span",
                        help="Give the reader the quote span (with its antecedent) or the ranked sentence alone.")
    parser.add_argument("--weights", default="0.3,0.5,0.7", help="Blend weights of the reader to report.")
    parser.add_argument("--latency", action="store_true",
                        help="Time 50 calls of 25 pairs (sentences from the sets' corpora) and compare ONNX with torch.")
    args = parser.parse_args(argv)
    if args.latency:
        print(json.dumps(latency_and_agreement(args.sets)), flush=True)
        return
    weights = tuple(float(w) for w in args.weights.split(","))
    results = []
    reader = None
    for item in args.sets:
        path, _, corpus = item.partition("@")
        settings = Settings(corpus=Path(corpus)) if corpus else Settings()
        engine = Engine(settings)
        engine.load()
        if reader is None:
            reader = make_reader(args.reader, settings.export_root())
        results.append(evaluate_set(Path(path).name, engine, reader, Path(path), args.top, weights, args.read))
        print(json.dumps(results[-1]), flush=True)


if __name__ == "__main__":
    main()
