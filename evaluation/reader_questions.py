"""Reader training pairs from human-written dev questions, mixed with the mechanical pairs.

Mechanical questions (a sentence with its answer span swapped for a wh-word) teach the reader little
about how people ask: a reader trained on them alone ranks the dev questions worse than the engine.
Written questions do teach it, but a reader must never be scored on the stories whose questions it
read. So each reader is trained on the question sets of *other* stories: for each (question, outlet)
pair, the outlet's first `--top` quotes in the engine's order (reader off) are read; a quote holding a
gold phrase is a positive, every other one (and every quote of an outlet whose gold is null) a
negative. The mechanical pairs are added on top, sampled down to `--mechanical`.

    python -m evaluation.reader_questions --out DIR --mechanical MECHANICAL_DIR \
        tests/data/basil_dev_questions.jsonl@$SHARED/corpora/basil tests/data/seed_dev_questions.jsonl

(SHARED is the data set folder that holds the corpora and the shared dev questions.)

The folder it writes (pairs.jsonl, data_manifest.json) is what `evaluation.train_reader --data` reads.
"""

from __future__ import annotations

import argparse
import sys
import json
import random
from pathlib import Path

from evaluation.harness import load_questions, quote_hits
from retrieval.engine import Engine
from retrieval.settings import Settings


def question_pairs(engine: Engine, path: Path, top: int) -> list[dict]:
    """Labelled (question, quote) pairs from one dev question file."""
    pairs = []
    for question in load_questions(path):
        story = question.story or engine.library.story_of(question.gold)
        for item in engine.evidence(question.q, story):
            if item.source.source_id not in question.gold:
                continue
            phrases = question.gold[item.source.source_id]
            for candidate in item.ranked[:top]:
                text = item.source.text[candidate.span[0] : candidate.span[1]]
                label = int(phrases is not None and quote_hits([text], phrases))
                pairs.append({"story": story, "question": question.q, "sentence": text, "label": label,
                              "kind": "dev_" + ("positive" if label else "negative" if phrases else "null_outlet"),
                              "answer": "written", "split": "train", "set": path.name})
    return pairs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="QUESTIONS.jsonl[@CORPUS]: the written questions to train on.")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--mechanical", type=Path, help="A folder evaluation.reader_data wrote, to mix in.")
    parser.add_argument("--mechanical-pairs", type=int, default=6000, help="How many mechanical pairs to keep.")
    parser.add_argument("--top", type=int, default=8, help="How many of each outlet's quotes to read.")
    parser.add_argument("--home", type=Path, default=None, help="STORYBOT_HOME for the libraries (default: settings).")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    pairs, counts = [], {}
    for item in args.sets:
        path, _, corpus = item.partition("@")
        overrides = {"reader": False, **({"corpus": Path(corpus)} if corpus else {}),
                     **({"home": args.home} if args.home else {})}
        found = question_pairs(Engine(Settings(**overrides)), Path(path), args.top)
        counts[Path(path).name] = {"pairs": len(found), "positives": sum(p["label"] for p in found)}
        pairs += found
    mechanical = []
    if args.mechanical:
        rows = [json.loads(line) for line in (args.mechanical / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
        train = [r for r in rows if r["split"] == "train"]
        mechanical = rng.sample(train, min(args.mechanical_pairs, len(train)))
        mechanical += [r for r in rows if r["split"] == "validation"]  # the reader's validation stays mechanical
    rng.shuffle(pairs)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "pairs.jsonl").open("w", encoding="utf-8") as out:
        for row in pairs + mechanical:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    manifest = {"command": "python -m evaluation.reader_questions " + " ".join(argv or sys.argv[1:]),
                "seed": args.seed, "top": args.top, "written_sets": counts,
                "mechanical": str(args.mechanical) if args.mechanical else None,
                "mechanical_pairs": len(mechanical), "pairs": len(pairs) + len(mechanical)}
    (args.out / "data_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
