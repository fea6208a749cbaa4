"""Kill -9 storybot at random moments of adds, removes and index builds; count what survives.

    .venv/bin/python scripts/bench_faults.py --rounds 20

Each round starts from a library holding the seed story, runs a writer in a subprocess (adds and removes
through the Library, or `storybot index build`), kills it with SIGKILL after a random delay, then opens
the library the way the next command would and checks: every catalog passage has exactly one vector and
no vector lacks a passage, no source is half added, the seed question is answered with verbatim quotes,
and no temporary file is left. Finally two `storybot add` processes run at once. Uses the fake embedder
(the faults are in storage, not in the model).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.embedding import FakeEmbedder  # noqa: E402
from index.library import Library, open_library  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.settings import Settings  # noqa: E402

WRITER = """
import sys
from pathlib import Path
from index.embedding import FakeEmbedder
from index.library import Library
library = Library(Path(sys.argv[1]), FakeEmbedder())
files = sorted(Path(sys.argv[2]).glob("*.txt"))
for n in range(10_000):
    report = library.add([str(files[n % len(files)])], story="faults")
    for added in report.added:
        if n % 2:
            library.remove([added.source_id])
"""


def _articles(folder: Path, count: int = 8) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        body = " ".join(f"Article {i} line {j} says the bridge vote was delayed again." for j in range(120))
        (folder / f"art{i}.txt").write_text(f"Article {i} headline\n\n{body}\n", encoding="utf-8")
    return folder


def _check(home: Path) -> list[str]:
    """What is wrong with the library at `home` as the next command finds it (empty: nothing)."""
    problems = []
    engine = Engine(Settings(home=home.parent, model="fake"), embedder=FakeEmbedder())
    library = engine.library
    engine.load()
    keys = {pid for pid, _ in library.catalog.passage_keys()}
    if set(library.store.keys().tolist()) != keys:
        problems.append("store and catalog differ")
    for story in library.stories():
        for source_id in story.sources:
            if library.catalog.passage_count(source_id) == 0:
                problems.append(f"half-added source {source_id}")
    answer = engine.ask("What did Paris deny?", "shoigu-lecornu-call-2024")
    for outlet in answer.outlets:
        text = library.source(outlet.source_id).text
        if any(text[q.start : q.end] != q.text for q in outlet.quotes):
            problems.append("a quote is not verbatim")
    leftovers = [p for p in home.rglob("*") if ".tmp" in p.name or ".old-" in p.name]
    if leftovers:
        problems.append(f"left {len(leftovers)} temporary files")
    library.close()
    return problems


def _fresh(base: Path) -> Path:
    home = base / "home"
    shutil.rmtree(home, ignore_errors=True)
    library = open_library(home, None, FakeEmbedder())
    library.sync()
    library.close()
    return home / "library"


def rounds(kind: str, count: int, base: Path, rng: random.Random) -> tuple[int, list[str]]:
    articles = _articles(base / "articles")
    failures = []
    env = {**os.environ, "STORYBOT_MODEL": "fake", "STORYBOT_HOME": str(base / "home")}
    for n in range(count):
        library = _fresh(base)
        if kind == "add/remove":
            command = [sys.executable, "-c", WRITER, str(library), str(articles)]
        else:
            command = [sys.executable, "-c", "from bot.cli.app import run\nwhile True: run(['index', 'build'])"]
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 2.5))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        problems = _check(library)
        if problems:
            failures.append(f"{kind} round {n}: {'; '.join(problems)}")
    return count, failures


def concurrent_adds(base: Path) -> list[str]:
    library = _fresh(base)
    env = {**os.environ, "STORYBOT_MODEL": "fake", "STORYBOT_HOME": str(base / "home")}
    folders = [_articles(base / f"c{i}", 3) for i in range(2)]
    for i, folder in enumerate(folders):
        for path in folder.glob("*.txt"):
            path.write_text(path.read_text(encoding="utf-8").replace("Article", f"Writer {i} article"), encoding="utf-8")
    workers = [subprocess.Popen([sys.executable, "-m", "bot.cli", "add", str(folder), "--story", f"c{i}"], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i, folder in enumerate(folders)]
    results = [w.communicate(timeout=300) for w in workers]
    problems = [f"add {i} exited {w.returncode}: {err.strip()}" for i, (w, (_, err)) in enumerate(zip(workers, results))
                if w.returncode != 0 or "internal error" in err]
    return problems + _check(library)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for kind in ("add/remove", "index build"):
            done, failures = rounds(kind, args.rounds, base, rng)
            print(f"{kind}: {done} kill -9 rounds, {len(failures)} failed")
            for failure in failures:
                print("   ", failure)
        problems = concurrent_adds(base)
        print(f"two concurrent adds: {'both landed' if not problems else '; '.join(problems)}")


if __name__ == "__main__":
    main()
