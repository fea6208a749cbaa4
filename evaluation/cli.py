"""The developer commands, mounted into `storybot`: `eval`, `calibrate` and `bench` (in `bench_cli.py`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.cli import options
from bot.cli.options import CorpusOpt, JsonOpt
from evaluation import bench_cli, render
from index.errors import UsageError

app = typer.Typer()


@app.command("eval")
def eval_(questions: Annotated[Path, typer.Argument(help="JSONL questions with gold phrases per source.")],
          corpus: CorpusOpt = None, json_: JsonOpt = False,
          baseline: Annotated[Optional[str], typer.Option(help="Also run a baseline side by side: naive.")] = None,
          disable: Annotated[Optional[list[str]], typer.Option(
              help="Switch a mechanism off to measure it: expansion, antecedent, answer_type, lexical, answerability, "
                   "reader.")] = None,
          ) -> None:
    """Measure evidence recall, abstain accuracy and latency on a question file."""
    from evaluation import harness as evaluation

    if baseline not in (None, "naive"):
        raise UsageError(f"unknown baseline {baseline!r}; the only one is 'naive'")
    items = evaluation.load_questions(questions)
    engine = options.engine(options.settings(corpus, disable=frozenset(disable) if disable else None))
    engine.load()
    library = engine.library
    items = [q.model_copy(update={"story": q.story or library.story_of(q.gold)}) for q in items]
    for q in items:  # every gold source must exist before anything is timed
        for source_id in q.gold:
            library.source(source_id)
    for story_id in {q.story for q in items}:  # latency is measured warm: per-story BM25 built beforehand
        engine.view(story_id)
    reports = [evaluation.run("storybot", items, lambda q: engine.ask(q.q, q.story))]
    if baseline == "naive":
        from evaluation.naive import NaiveRetriever

        naive = NaiveRetriever(engine.embedder)
        reports.append(evaluation.run("naive", items, lambda q: naive.ask(q.q, library.story(q.story))))
    if json_:
        options.out(json.dumps({r.name: r.model_dump() for r in reports}, ensure_ascii=False, indent=2) + "\n")
    else:
        options.out("\n".join(render.render_report(r, show_misses=r.name == "storybot") for r in reports))


@app.command()
def calibrate(sets: Annotated[list[str], typer.Argument(
                  help="QUESTIONS.jsonl, QUESTIONS.jsonl@CORPUS or QUESTIONS.jsonl@CORPUS:held-out (corpus default: "
                       "the library; :held-out keeps the stories of the reader's held-out fold).")],
              loso: Annotated[bool, typer.Option("--loso", help="Also report leave-one-story-out figures.")] = False,
              disable: Annotated[Optional[list[str]], typer.Option(
                  help="Switch a ranking mechanism off (expansion, antecedent, answer_type, lexical, reader) to "
                       "measure what it buys when each story is held out.")] = None,
              reader_weights: Annotated[Optional[str], typer.Option(
                  help="Compare these reader weights in the ranking (comma-separated), each leave-one-story-out, "
                       "on one reading; the best is printed as STORYBOT_READER_WEIGHT.")] = None,
              table: Annotated[bool, typer.Option(
                  "--table", help="Also print leave-one-story-out figures of the engine alone, the reader alone "
                                  "and both, per set, from the same reading.")] = False,
              features: Annotated[Optional[str], typer.Option(
                  help="Fit on these answerability features only (comma-separated names), e.g. "
                       "reader,reader_margin,story_reader for the reader alone.")] = None,
              json_: JsonOpt = False) -> None:
    """Fit the answerability model on question sets; print the STORYBOT_* settings to keep."""
    from evaluation import loso as folds
    from retrieval.answerability import ANSWER_FEATURES, Answerability

    engines = {}

    def engine_for(corpus):
        if corpus not in engines:
            engines[corpus] = options.engine(options.settings(corpus, disable=frozenset(disable) if disable else None))
        return engines[corpus]

    only = None
    if features:
        names = [f.strip() for f in features.split(",") if f.strip()]
        unknown = [f for f in names if f not in ANSWER_FEATURES]
        if unknown:
            raise UsageError(f"unknown answerability feature {unknown[0]!r}; the features are {', '.join(ANSWER_FEATURES)}")
        only = [ANSWER_FEATURES.index(f) for f in names]
    asked = folds.rank_sets(sets, engine_for)
    ratio = next(iter(engines.values())).settings.second_quote_ratio
    default = next(iter(engines.values())).settings.reader_weight
    weights = [float(w) for w in reader_weights.split(",")] if reader_weights else [default]
    by_weight = {}
    for weight in weights:
        pairs = folds.pairs_of(asked, weight, ratio)
        figures = folds.leave_one_story_out(pairs, only) if loso or len(weights) > 1 else []
        by_weight[weight] = (pairs, figures)
        if len(weights) > 1:
            options.out(f"reader weight {weight:g}: " + "; ".join(
                f"{f.set_name} {f.evidence_recall:.3f} / {f.abstain_accuracy:.3f}" for f in figures)
                 + f" (balanced {folds.balanced(figures):.4f})\n")
    weight = max(weights, key=lambda w: folds.balanced(by_weight[w][1]))
    pairs, figures = by_weight[weight]
    fitted = folds.fit_pairs(pairs, only)
    ceiling = folds.ceiling(pairs)
    table = folds.reliability(pairs, Answerability(fitted.weights, fitted.bias, fitted.threshold))
    if json_:
        options.out(json.dumps({"reader_weight": weight, "fitted": {"weights": fitted.weights, "bias": fitted.bias, "threshold": fitted.threshold,
                                    "pairs": fitted.pairs}, "ceiling": ceiling, "reliability": table,
                         "loso": [f.model_dump() for f in figures]}, indent=2) + "\n")
        return
    options.out(f"fitted on {fitted.pairs} (question, outlet) pairs over features {', '.join(ANSWER_FEATURES)}\n"
         f"covered when gold {fitted.covered_when_gold:.3f}, abstained when null {fitted.abstain_when_null:.3f}"
         " (on the pairs it was fitted on)\n")
    for name, value in ceiling.items():
        options.out(f"ceiling {name}: {value:.3f} of gold pairs hit when every outlet is quoted\n")
    for row in table:
        options.out(f"predicted {row['bin']}: {row['pairs']} pairs, mean predicted {row['predicted']:.3f}, "
             f"answered {row['answers']:.3f}\n")
    for f in figures:
        options.out(f"leave-one-story-out {f.set_name}: evidence recall {f.evidence_recall:.3f} ({f.hits}/{f.gold_pairs}), "
             f"abstain accuracy {f.abstain_accuracy:.3f} ({f.abstains}/{f.null_pairs})\n")
    if table:
        for variant, rows in folds.variants(asked, weight, ratio).items():
            for f in rows:
                options.out(f"{variant}: {f.set_name}: evidence recall {f.evidence_recall:.3f} ({f.hits}/{f.gold_pairs}), "
                     f"abstain accuracy {f.abstain_accuracy:.3f} ({f.abstains}/{f.null_pairs})\n")
    options.out("\n" + fitted.as_env() + (f"STORYBOT_READER_WEIGHT={weight:g}\n" if reader_weights else ""))


app.add_typer(bench_cli.app)
