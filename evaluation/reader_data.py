"""Build the reader's training pairs: (question, sentence, does the sentence state the answer?).

Sentences are cut by storybot's own splitter, so the reader learns on the units it will read.

- SQuAD 1.1 train (human-written questions over Wikipedia paragraphs): every sentence of the
  paragraph that holds an answer text is positive, the paragraph's other sentences negative; a
  question whose answer crosses a sentence boundary is skipped.
- SQuAD 2.0 dev, the articles of its training half (by a hash of the title): the answerable questions
  as above; each unanswerable question (written to look answerable from its paragraph) is negative on
  every sentence. The other half is kept for measuring.
- Written questions over multi-outlet news stories (LABELING format): each question is asked of the
  engine with the reader off, and each outlet's candidates are read as the engine would offer them —
  the first `--depth` of its ranking (quote spans: a sentence with the one before it when it leans on
  it), every deeper candidate that holds a gold phrase, and one random deeper one. A candidate is
  positive when it holds a gold phrase; every candidate of an outlet the gold marks null is negative,
  which teaches "nothing here answers". Stories of the held-out fold (`written_questions.held_out`) and
  of the dev question files are never read.

Validation pairs (per-epoch AUC) come from a hashed slice of the training stories and articles.
Output: `pairs.jsonl` and `data_manifest.json` (input files with sha256, counts, stories, seed).

    python -m evaluation.reader_data --out DIR --squad-questions 5000 \
        --news $SHARED/train/basil_train_questions.jsonl@$SHARED/corpora/basil \
        --news $SHARED/train/allsides_train_questions.jsonl@$SHARED/corpora/allsides \
        --squad $SHARED/train/data/squad/train-v1.1.json --squad2 $SHARED/train/data/squad/dev-v2.0.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shlex
import sys
from collections import Counter
from pathlib import Path

from evaluation.harness import load_questions, normalize
from evaluation.written_questions import held_out, parse_set, read_written, resolve
from index.hashing import file_sha256
from index.sentences import sentence_spans

SEED = 13
DEV_FILES = sorted((Path(__file__).resolve().parent.parent / "tests" / "data").glob("*_dev_questions.jsonl"))
VALIDATION_SHARE = 16  # one story (or SQuAD article) in 16 gives validation pairs


def _bucket(name: str, modulo: int) -> int:
    return int.from_bytes(hashlib.sha256(("reader:" + name).encode("utf-8")).digest()[:4], "big") % modulo


def squad_pairs(path: Path, rng: random.Random, limit: int, negatives: int, keep_half: int | None = None) -> list[dict]:
    """Sentence pairs from a SQuAD file; `keep_half` keeps only the articles of that hash half (0 or 1)."""
    articles = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    items = []
    for article in articles:
        title = article["title"]
        if keep_half is not None and _bucket(title, 2) != keep_half:
            continue
        split = "validation" if _bucket(title, VALIDATION_SHARE) == 0 else "train"
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                items.append((title, split, paragraph["context"], qa))
    rng.shuffle(items)
    pairs = []
    for title, split, context, qa in items[:limit] if limit else items:
        sentences = [context[s:e] for s, e, _ in sentence_spans(context)]
        if len(sentences) < 2:
            continue
        unanswerable = bool(qa.get("is_impossible"))
        answers = {a["text"].strip() for a in qa.get("answers", []) if a["text"].strip()}
        labels = [0] * len(sentences) if unanswerable else [int(any(a in s for a in answers)) for s in sentences]
        if not unanswerable and not any(labels):
            continue  # the answer crosses a sentence boundary
        positive = [i for i, l in enumerate(labels) if l]
        negative = [i for i, l in enumerate(labels) if not l]
        rng.shuffle(negative)
        kind = "squad2-unanswerable" if unanswerable else "squad"
        for i in positive + negative[:negatives]:
            pairs.append({"question": qa["question"].strip(), "sentence": sentences[i], "label": labels[i],
                          "split": split, "kind": kind, "story": f"squad:{title}"})
    return pairs


def news_pairs(questions_path: Path, corpus: Path, rng: random.Random, depth: int, excluded: set[str]) -> tuple[list[dict], list[str]]:
    """Pairs from written questions over a corpus, read through the engine's own ranking."""
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    engine = Engine(Settings(corpus=corpus, reader=False))
    library = engine.load()
    sources = {s.story_id: s.sources for s in library.stories()}
    records = [r for r in read_written(questions_path) if not held_out(r["story"]) and r["story"] not in excluded]
    pairs, stories = [], sorted({r["story"] for r in records})
    for question in resolve(records, sources):
        split = "validation" if _bucket(question.story, VALIDATION_SHARE) == 0 else "train"
        for item in engine.evidence(question.q, question.story):
            if item.source.source_id not in question.gold or not item.ranked:
                continue
            wanted = [normalize(p) for p in question.gold[item.source.source_id] or []]
            text = item.source.text

            def holds(candidate) -> bool:
                quote = normalize(text[candidate.span[0] : candidate.span[1]])
                return any(w in quote for w in wanted)

            deeper = item.ranked[depth:]
            chosen = item.ranked[:depth] + [c for c in deeper if holds(c)]
            easy = [c for c in deeper if not holds(c)]
            chosen += rng.sample(easy, min(1, len(easy)))
            kind = "news-null" if not wanted else "news"
            for candidate in chosen:
                pairs.append({"question": question.q, "sentence": text[candidate.span[0] : candidate.span[1]],
                              "label": int(holds(candidate)), "split": split, "kind": kind, "story": question.story,
                              "outlet": item.source.source_id})
    return pairs, stories


def dev_stories() -> set[str]:
    """Stories the dev question files name: the reader never trains on them."""
    stories = set()
    for path in DEV_FILES:
        for question in load_questions(path):
            if question.story:
                stories.add(question.story)
            stories.update(k.rsplit("_", 1)[0] for k in question.gold)
    return stories


def _spec(value: str) -> tuple[Path, Path]:
    questions, corpus, held = parse_set(value)
    if corpus is None or held:
        raise argparse.ArgumentTypeError("expected QUESTIONS.jsonl@CORPUS_DIR (the held-out fold is never read)")
    return questions, corpus


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--squad", type=Path, help="SQuAD 1.1 train JSON.")
    parser.add_argument("--squad2", type=Path, help="SQuAD 2.0 dev JSON (its training half is used).")
    parser.add_argument("--news", type=_spec, action="append", default=[], metavar="QUESTIONS@CORPUS")
    parser.add_argument("--squad-questions", type=int, default=5000, help="How many SQuAD 1.1 questions to use.")
    parser.add_argument("--squad2-questions", type=int, default=2500,
                        help="How many SQuAD 2.0 questions of its training half to use (0: all).")
    parser.add_argument("--squad-negatives", type=int, default=4, help="Negatives per SQuAD question.")
    parser.add_argument("--depth", type=int, default=6, help="How many of an outlet's first candidates are read.")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    pairs, inputs, stories = [], [], {}
    if args.squad:
        pairs += squad_pairs(args.squad, rng, args.squad_questions, args.squad_negatives)
        inputs.append(args.squad)
    if args.squad2:
        pairs += squad_pairs(args.squad2, rng, args.squad2_questions, args.squad_negatives, keep_half=0)
        inputs.append(args.squad2)
    excluded = dev_stories()
    for questions, corpus in args.news:
        add_set(questions, *news_pairs(questions, corpus, rng, args.depth, excluded), pairs, inputs, stories)
    write_pairs(args.out, pairs, "python -m evaluation.reader_data", argv, seed=args.seed, inputs=inputs,
                stories=stories, excluded="the held-out fold of each written set (evaluation.written_questions."
                                          "held_out) and the stories of the dev question files")


def add_set(path: Path, found: list[dict], used: list[str], pairs: list[dict], inputs: list[Path],
            stories: dict[str, list[str]]) -> None:
    """Take one input file's pairs into the data set, recording the file and the stories it used."""
    pairs += found
    inputs.append(path)
    stories[path.name] = used
    print(f"{path.name}: {len(found)} pairs over {len(used)} stories", flush=True)


def write_pairs(out: Path, pairs: list[dict], program: str, argv: list[str] | None, *, seed: int, inputs: list[Path],
                stories: dict[str, list[str]], excluded: str) -> None:
    """Write `pairs.jsonl` and `data_manifest.json` (the command, seed, input files with sha256, the stories
    used and left out, counts), and print the counts."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "pairs.jsonl").open("w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(pair, ensure_ascii=False) + "\n")
    manifest = {
        "command": program + " " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "seed": seed,
        "files": {p.name: file_sha256(p) for p in inputs},
        "train_stories": stories,
        "excluded": excluded,
        "pairs": len(pairs),
        "positives": sum(p["label"] >= 0.5 for p in pairs),
        "by_kind": dict(Counter(p["kind"] for p in pairs)),
        "by_split": dict(Counter(p["split"] for p in pairs)),
    }
    (out / "data_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: manifest[k] for k in ("pairs", "positives", "by_kind", "by_split")}), flush=True)


if __name__ == "__main__":
    main()
