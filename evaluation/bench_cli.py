"""`storybot bench`: cold start, warm latency, encode and build rates, peak memory and search at scale."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.cli import options
from bot.cli.options import JsonOpt
from evaluation import render

app = typer.Typer()


@app.command()
def bench(json_: JsonOpt = False,
          articles: Annotated[Optional[Path], typer.Option(help="Articles to time encoding and building on "
                                                                "(default: BASIL from the data set folder beside the project, else the seeds).")] = None,
          limit: Annotated[int, typer.Option(help="Use the first N articles for the encode and build rates.")] = 100,
          five_outlet: Annotated[Optional[Path], typer.Option(help="A corpus with five-outlet stories "
                                                                   "(default: newswcl50 from the data set folder beside the project).")] = None,
          sizes: Annotated[str, typer.Option(help="Library sizes for the search-scale figures.")] = "10000,100000,1000000",
          runs: Annotated[int, typer.Option(help="Fresh processes for the cold-start median.")] = 5,
          store: Annotated[Optional[str], typer.Option(help="Also measure search at scale in this vector store "
                                                            "(milvus:PATH.db or http://host:19530), beside FAISS.")] = None,
          scale_only: Annotated[bool, typer.Option("--scale-only", help="Measure only search at scale (no model "
                                                                        "needed).")] = False) -> None:
    """Measure cold start, warm latency, encode and build rates, peak memory and search at scale."""
    import statistics
    import tempfile

    from evaluation import bench as b

    scale_sizes = [int(x) for x in sizes.split(",") if x.strip()]
    if store is not None:
        from index.stores import open_store
        from index.stores.milvus_store import MilvusStore

        with tempfile.TemporaryDirectory() as tmp:  # a bad spec or an unreachable server fails before any timing
            probe = open_store(store, Path(tmp), 2, name=f"bench_probe_{os.getpid()}")
            if isinstance(probe, MilvusStore):
                probe.drop()
            probe.close()
    if scale_only:
        scale = b.scale_search(scale_sizes) + (b.scale_search(scale_sizes, store=store) if store else [])
        options.out(json.dumps([p.model_dump() for p in scale], indent=2) + "\n" if json_ else render.render_scale(scale))
        return
    from evaluation.harness import EvalQuestion, load_questions
    from evaluation.naive import NaiveRetriever
    from retrieval.engine import Engine
    from retrieval.settings import PROJECT_ROOT

    shared = PROJECT_ROOT.parent / "shared" / "corpora"
    articles = articles or (shared / "basil" if (shared / "basil").is_dir() else PROJECT_ROOT / "seeds")
    five_outlet = five_outlet or (shared / "newswcl50" if (shared / "newswcl50").is_dir() else None)
    data = PROJECT_ROOT / "tests" / "data"
    say = (lambda m: None) if json_ else (lambda m: sys.stderr.write(m + "\n"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = options.settings(home=Path(tmp), model_cache=options.settings().export_root())  # reuse the model's export
        engine = options.engine(settings, progress=False)
        engine.load()
        say(f"cold start: {runs} fresh `storybot ask` processes …")
        cold = b.cold_start(Path(tmp), settings.export_root(), runs)
        seed_questions = (load_questions(data / "seed_dev_questions.jsonl") if (data / "seed_dev_questions.jsonl").is_file()
                          else [EvalQuestion(q=b.SEED_QUESTION, gold={})])
        say("warm latency on the seed story …")
        warm = b.warm_latencies(lambda q: engine.ask(q.q), seed_questions)
        naive = NaiveRetriever(engine.embedder)
        seed_story = engine.library.story()
        naive_warm = b.warm_latencies(lambda q: naive.ask(q.q, seed_story), seed_questions)
        answering_rss = b.peak_rss_mb()  # the answer path's peak, before the synthetic libraries below
        five = None
        if five_outlet is not None:
            say("warm latency on five-outlet stories …")
            five_engine = Engine(settings.model_copy(update={"corpus": five_outlet}), embedder=engine.embedder)
            five_engine.load()
            path = data / "newswcl50_dev_questions.jsonl"
            questions = load_questions(path) if path.is_file() else [
                EvalQuestion(q=b.SEED_QUESTION, gold={}, story=s.story_id) for s in five_engine.stories()]
            five = b.warm_latencies(lambda q: five_engine.ask(q.q, q.story or five_engine.library.story_of(q.gold)),
                                    questions, rounds=1)
        say(f"encode and build rates on {limit} articles of {articles} …")
        raw, built, count = b.encode_and_build(engine.embedder, articles, limit)
        say("search latency at scale …")
        scale = b.scale_search(scale_sizes) + (b.scale_search(scale_sizes, store=store) if store else [])
    report = b.BenchReport(
        cold_start_s=round(statistics.median(cold), 3), cold_start_runs=[round(t, 3) for t in cold],
        warm_p50_ms=round(b._percentile(warm, 50), 2), warm_p95_ms=round(b._percentile(warm, 95), 2),
        warm_five_outlet_p50_ms=round(b._percentile(five, 50), 2) if five else None,
        warm_five_outlet_p95_ms=round(b._percentile(five, 95), 2) if five else None,
        naive_warm_p50_ms=round(b._percentile(naive_warm, 50), 2), naive_warm_p95_ms=round(b._percentile(naive_warm, 95), 2),
        raw_encode_per_s=round(raw, 1), build_per_s=round(built, 1), build_passages=count,
        peak_rss_mb=round(answering_rss, 1), scale=scale, embedder=engine.embedder.name)
    options.out(report.model_dump_json(indent=2) + "\n" if json_ else render.render_bench(report))
