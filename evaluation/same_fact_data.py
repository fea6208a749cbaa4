"""Build the same-fact model's training pairs: (sentence, sentence, do they state the same fact?).

The pairs are written in the reader's format (`question` holds the first sentence), so
`evaluation.train_reader` trains the model and `evaluation.export_reader` ships it.

- STS-B train and the SemEval STS 2013–2016 news-headline pairs: the label is the human similarity
  score over 5 (a soft target); headline pairs that STS-B's dev or test set also holds are left out.
  STS-B dev gives validation pairs.
- Cross-outlet pairs mined from written questions over multi-outlet news stories (LABELING format),
  with storybot's own splitter: two outlets' body sentences that each hold a gold phrase of one
  question state the same fact (positive). Hard negatives come from the same event: where one outlet
  answers and the gold marks another null, the null outlet's sentences nearest to the answer by the
  embedder's cosine (that outlet does not report the fact); where both answer, the other outlet's
  nearest sentences that hold no gold phrase of the question. A pair that is positive for any
  question is never a negative. Stories of the held-out fold (`written_questions.held_out`), of the
  dev question files and of the labelled compare groups are never read.
- Labelled groups over training stories (`--groups`, the format of `tests/data/compare_groups.jsonl`):
  each anchor with each of its matches is positive; each anchor with its three best partners in every
  other outlet by compare's pair score (vetoed pairs left out) that are neither matches nor `related`
  is negative. A story the evaluation's labels hold is refused.

    python -m evaluation.same_fact_data --out DIR --sts $SHARED/train/data/sts \
        --news $SHARED/train/basil_train_questions.jsonl@$SHARED/corpora/basil \
        --news $SHARED/train/allsides_train_questions.jsonl@$SHARED/corpora/allsides

Output: `pairs.jsonl` and `data_manifest.json` (input files with sha256, counts, stories, seed).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

import numpy as np

from evaluation.harness import normalize
from evaluation.reader_data import SEED, VALIDATION_SHARE, _bucket, _spec, add_set, dev_stories, write_pairs
from evaluation.written_questions import held_out, read_written, resolve

ROOT = Path(__file__).resolve().parent.parent
COMPARE_LABELS = ROOT / "tests" / "data" / "compare_groups.jsonl"
STS_SCALE = 5.0


def _sts_rows(path: Path) -> list[tuple[float, str, str, str]]:
    """(score, first, second, genre) rows of an STS-B csv (tab-separated, 7 columns and extras)."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) >= 7:
            rows.append((float(cells[4]), cells[5], cells[6], cells[0]))
    return rows


def _headline_rows(path: Path) -> list[tuple[float, str, str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [(float(r["score"]), r["sentence1"], r["sentence2"], r["source"])
                for r in csv.DictReader(handle, delimiter="\t")]


def sts_pairs(folder: Path, rng: random.Random) -> tuple[list[dict], list[Path]]:
    """STS-B train (+ headlines not in STS-B dev/test) as training pairs, STS-B dev as validation."""
    train, dev, test = (_sts_rows(folder / f"sts-{name}.csv") for name in ("train", "dev", "test"))
    headlines = folder / "sts_headlines_2013-2016.tsv"
    reserved = {normalize(s) for _, a, b, _ in dev + test for s in (a, b)}
    extra = [r for r in _headline_rows(headlines) if normalize(r[1]) not in reserved and normalize(r[2]) not in reserved]
    seen, pairs = set(), []
    for split, rows, kind in (("train", train, "sts"), ("train", extra, "sts-headlines"), ("validation", dev, "sts")):
        for score, a, b, _ in rows:
            key = frozenset((normalize(a), normalize(b)))
            if key in seen:
                continue
            seen.add(key)
            if rng.random() < 0.5:
                a, b = b, a
            pairs.append({"question": a, "sentence": b, "label": round(score / STS_SCALE, 3), "split": split,
                          "kind": kind})
    return pairs, [folder / "sts-train.csv", folder / "sts-dev.csv", folder / "sts-test.csv", headlines]


def compare_stories(path: Path = COMPARE_LABELS) -> set[str]:
    """Stories whose compare groups are labelled: the same-fact model never trains on them."""
    if not path.is_file():
        return set()
    return {json.loads(line)["story"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def news_pairs(questions_path: Path, corpus: Path, rng: random.Random, excluded: set[str], negatives: int
               ) -> tuple[list[dict], list[str]]:
    """Cross-outlet pairs from written questions over a corpus (see the module doc)."""
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    engine = Engine(Settings(corpus=corpus, reader=False))
    library = engine.load()
    sources = {s.story_id: s.sources for s in library.stories()}
    records = [r for r in read_written(questions_path) if not held_out(r["story"]) and r["story"] not in excluded]
    by_story: dict[str, list] = {}
    for question in resolve(records, sources):
        by_story.setdefault(question.story, []).append(question)
    pairs: list[dict] = []
    for story, questions in sorted(by_story.items()):
        view, _ = engine.view(story)
        body = {sid: [p for p in ps if p.kind == "body"] for sid, ps in view.of_source.items()}
        pids = [p.pid for ps in body.values() for p in ps]
        vectors = dict(zip(pids, library.store.get(np.asarray(pids, dtype=np.int64)))) if pids else {}
        normal = {p.pid: normalize(p.text) for ps in body.values() for p in ps}
        text = {p.pid: p.text for ps in body.values() for p in ps}
        positive: set[frozenset] = set()
        candidates: list[tuple[int, int]] = []
        for question in questions:
            holders = {sid: [p.pid for p in body.get(sid, [])
                             if any(normalize(g) in normal[p.pid] for g in phrases or [])]
                       for sid, phrases in question.gold.items()}
            answered = [sid for sid, held in holders.items() if held]
            for i, x in enumerate(answered):
                for y in answered[i + 1 :]:
                    for a in holders[x][:2]:
                        b = holders[y][0] if len(holders[y]) == 1 else rng.choice(holders[y])
                        positive.add(frozenset((a, b)))
            for x in answered:
                for y, held in holders.items():
                    if y == x or not body.get(y):
                        continue
                    a = holders[x][0]
                    others = [p.pid for p in body[y] if p.pid not in held]
                    nearest = sorted(others, key=lambda q: -float(vectors[a] @ vectors[q]))[:negatives]
                    candidates += [(a, q) for q in nearest]
        split = "validation" if _bucket(story, VALIDATION_SHARE) == 0 else "train"
        for pair in sorted(positive, key=sorted):
            a, b = rng.sample(sorted(pair), 2)
            pairs.append({"question": text[a], "sentence": text[b], "label": 1.0, "split": split, "kind": "news-same",
                          "story": story})
        done: set[frozenset] = set()
        for a, b in candidates:
            key = frozenset((a, b))
            if key in positive or key in done:
                continue
            done.add(key)
            if rng.random() < 0.5:
                a, b = b, a
            pairs.append({"question": text[a], "sentence": text[b], "label": 0.0, "split": split,
                          "kind": "news-different", "story": story})
    return pairs, sorted(by_story)


def group_pairs(groups_path: Path, corpus: Path, neighbours: int = 3) -> tuple[list[dict], list[str]]:
    """Pairs from labelled compare groups over training stories (see the module doc)."""
    from evaluation.compare_eval import load_labels, read_labels
    from retrieval import alignment
    from retrieval.comparison import MIN_WORDS
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    raw = read_labels(groups_path)
    stories = sorted({item["story"] for item in raw})
    clash = set(stories) & compare_stories()
    if clash:
        raise SystemExit(f"{groups_path.name} labels stories the compare evaluation scores: {sorted(clash)}")
    engine = Engine(Settings(corpus=corpus, reader=False))
    library = engine.load()
    pairs: list[dict] = []
    for story in stories:
        view, _ = engine.view(story)
        texts = {s.source_id: s.text for s in view.story.sources}
        labels = load_labels([item for item in raw if item["story"] == story], texts,
                             {story: [s.source_id for s in view.story.sources]})
        candidates = {s.source_id: [p for p in view.of_source.get(s.source_id, [])
                                    if p.kind == "body" and len(p.text.split()) >= MIN_WORDS] for s in view.story.sources}
        outlets = [sid for sid, ps in candidates.items() if ps]
        pids = [p.pid for sid in outlets for p in candidates[sid]]
        vectors = dict(zip(pids, library.store.get(np.asarray(pids, dtype=np.int64))))
        by_pid = {p.pid: p for sid in outlets for p in candidates[sid]}
        partners: dict[tuple[int, str], list[tuple[float, int]]] = {}
        for (x, y), score in alignment.pair_scores(candidates, outlets, vectors).items():
            if score > -alignment.VETOED / 2:  # compare never pairs a vetoed pair
                partners.setdefault((x, by_pid[y].source_id), []).append((score, y))
        near: dict[int, set[int]] = {}
        for (x, _), found in partners.items():
            near.setdefault(x, set()).update(y for _, y in sorted(found, reverse=True)[:neighbours])

        def at(spots) -> set[int]:
            return {p.pid for sid, x in spots for p in candidates.get(sid, []) if p.start <= x < p.end}

        split = "validation" if _bucket(story, VALIDATION_SHARE) == 0 else "train"
        labelled: dict[frozenset, float] = {}
        for label in labels:
            anchor = at(label.anchor)
            matches = at([spot for spots in label.matches.values() for spot in spots])
            skip = at(label.related) | anchor
            for a in anchor:
                for m in matches:
                    labelled[frozenset((a, m))] = 1.0
                for other in near.get(a, set()) - matches - skip:
                    labelled.setdefault(frozenset((a, other)), 0.0)
        for pair, value in sorted(labelled.items(), key=lambda item: sorted(item[0])):
            a, b = sorted(pair)
            pairs.append({"question": by_pid[a].text, "sentence": by_pid[b].text, "label": value, "split": split,
                          "kind": "groups-same" if value else "groups-different", "story": story})
    return pairs, stories


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sts", type=Path, help="The STS folder (sts-train/dev/test.csv, sts_headlines_2013-2016.tsv).")
    parser.add_argument("--news", type=_spec, action="append", default=[], metavar="QUESTIONS@CORPUS")
    parser.add_argument("--groups", type=_spec, action="append", default=[], metavar="GROUPS@CORPUS",
                        help="Labelled compare groups over training stories (compare_groups.jsonl format).")
    parser.add_argument("--negatives", type=int, default=1,
                        help="Nearest non-answering sentences of the other outlet taken per answer as negatives.")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    pairs, inputs, stories = [], [], {}
    if args.sts:
        found, files = sts_pairs(args.sts, rng)
        pairs += found
        inputs += files
    excluded = dev_stories() | compare_stories()
    for questions, corpus in args.news:
        add_set(questions, *news_pairs(questions, corpus, rng, excluded, args.negatives), pairs, inputs, stories)
    for groups, corpus in args.groups:
        add_set(groups, *group_pairs(groups, corpus), pairs, inputs, stories)
    write_pairs(args.out, pairs, "python -m evaluation.same_fact_data", argv, seed=args.seed, inputs=inputs,
                stories=stories, excluded="the held-out fold of each written set (evaluation.written_questions."
                                          "held_out), the stories of the dev question files and of the labelled "
                                          "compare groups")


if __name__ == "__main__":
    main()
