"""`storybot index …`: rebuild, prune or describe the library's vector store."""

from __future__ import annotations

import json

import typer

from bot.cli import options
from bot.cli.options import CorpusOpt, JsonOpt

app = typer.Typer(no_args_is_help=True, help="Rebuild or describe the library's vector store.")


@app.command("build")
def index_build(corpus: CorpusOpt = None) -> None:
    """Refill the vector store from the catalog (re-embedding only what the embedding cache lacks)."""
    engine = options.engine(options.settings(corpus))
    count = engine.rebuild()
    options.out(f"rebuilt the vector store of {engine.library.home}: {count} passages, model {engine.embedder.name}\n")


@app.command("prune")
def index_prune(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Delete cached vectors no passage uses any more (removed sources, edited-away sentences)."""
    library = options.engine(options.settings(corpus)).library
    before = library.catalog_file.stat().st_size
    removed = library.prune_cache()
    kept, _ = library.cache_counts()
    after = library.catalog_file.stat().st_size
    if json_:
        options.out(json.dumps({"removed": removed, "kept": kept, "catalog_bytes_before": before,
                                "catalog_bytes_after": after}, indent=2) + "\n")
        return
    options.out(f"removed {removed} cached vectors no passage uses; kept {kept}; catalog {before / 1e6:.1f} MB → "
                f"{after / 1e6:.1f} MB\n")


@app.command("info")
def index_info(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Describe the library: where it is, what it holds, and whether its vector store is in step."""
    library = options.engine(options.settings(corpus)).library
    stories = library.stories()
    synced = library.store.synced_generation() if library.dimension_known() else None
    cached, unused = library.cache_counts()
    info = {"path": str(library.home), "catalog": str(library.catalog_file), "store": library.store_spec,
            "model": library.embedder.name, "stories": len(stories),
            "sources": sum(len(s.sources) for s in stories), "passages": library.passage_count(),
            "generation": library.generation(), "store_generation": synced,
            "cached_vectors": cached, "unused_cached_vectors": unused,
            "status": "current" if synced == library.generation() else "behind: it is caught up on next use"}
    if json_:
        options.out(json.dumps(info, indent=2) + "\n")
        return
    for key, value in info.items():
        options.out(f"{key:<22} {value}\n")
