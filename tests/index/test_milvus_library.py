"""The library and the CLI over Milvus Lite and a real Milvus server: same quotes as FAISS, crash safety, clean stderr."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.embedding import FakeEmbedder
from index.library import Library
from tests.conftest import PROJECT_ROOT
from tests.index.conftest import ON_THE_SERVER

SERVER = pytest.param("server", marks=ON_THE_SERVER, id="milvus-server")
MILVUS = [pytest.param("milvus:lite.db", id="milvus-lite"), SERVER]
SEED_QUESTION = "What did Paris deny?"
# What grpc, pymilvus and Milvus Lite print when they reach the user: tracebacks from Lite's in-process
# gRPC server ("ERROR grpc._server: Exception calling application"), pymilvus's own log lines.
NOISE = ("Traceback", "grpc", "mvccTs", "pymilvus", "milvus_lite", "WARNING", "ERROR")


@pytest.fixture(params=MILVUS)
def spec(request) -> str:
    return request.getfixturevalue("milvus_server") if request.param == "server" else request.param


def _article(folder: Path, name: str, headline: str, sentences: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(headline + "\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    return path


def _consistent(library: Library) -> None:
    """Every catalog passage has exactly one vector and no vector lacks a passage."""
    assert set(library.store.keys().tolist()) == {pid for pid, _ in library.catalog.passage_keys()}
    assert library.store.synced_generation() == library.catalog.generation()


def _quotes(answer) -> list[tuple]:
    return [(o.source_id, o.covered, [(q.start, q.end, q.text) for q in o.quotes]) for o in answer.outlets]


@pytest.mark.integration
def test_the_seed_question_gets_the_faiss_quotes_from_milvus(seed_engine, spec, tmp_path):
    from retrieval.engine import Engine

    expected = seed_engine.ask(SEED_QUESTION)
    engine = Engine(seed_engine.settings.model_copy(update={"home": tmp_path / "home", "vector_store": spec}),
                    embedder=seed_engine.embedder)
    engine.load()
    answer = engine.ask(SEED_QUESTION)
    assert _quotes(answer) == _quotes(expected)
    assert any(o.quotes for o in answer.outlets)
    scores = [q.score for o in answer.outlets for q in o.quotes]
    assert scores == pytest.approx([q.score for o in expected.outlets for q in o.quotes], abs=1e-4)
    engine.library.close()


_WORKER = """
import sys
from pathlib import Path
from index.embedding import FakeEmbedder
from index.library import Library
home, folder, spec, task = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
library = Library(home, FakeEmbedder(), spec)
files = sorted(folder.glob("*.txt"))
for n in range(10_000):
    if task == "rebuild":
        library.rebuild()
    else:
        report = library.add([str(files[n % len(files)])], story="crash")
        for added in report.added:
            if n % 3 == 2:
                library.remove([added.source_id])
    if n == 0:
        print("ready", flush=True)  # one whole round done: the kill lands in the rounds after it
"""


@pytest.mark.parametrize("task, delay", [("add", 0.3), ("add", 1.2), ("rebuild", 0.7)])
def test_kill_9_during_writes_leaves_a_consistent_library(spec, tmp_path, task, delay):
    folder = tmp_path / "articles"
    for i in range(6):
        _article(folder, f"art{i}.txt", f"Article {i} head", [f"Article {i} sentence {j} about the bridge vote." for j in range(40)])
    home = tmp_path / "lib"
    library = Library(home, FakeEmbedder(), spec)
    library.add([str(folder / "art5.txt")], story="crash")  # something for a rebuild to delete
    library.close()
    worker = subprocess.Popen([sys.executable, "-c", _WORKER, str(home), str(folder), spec, task], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert worker.stdout.readline() == "ready\n", worker.stderr.read()
    time.sleep(delay)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    library = Library(home, FakeEmbedder(), spec)
    library.sync()
    _consistent(library)
    for source_id in library.catalog.source_ids("crash"):
        assert library.catalog.passage_count(source_id) == 41  # never a half-added source
    library.close()


@pytest.mark.milvus_server
@pytest.mark.xdist_group("milvus-server")
def test_two_libraries_on_one_server_keep_their_own_vectors(milvus_server, tmp_path):
    libraries = []
    for name in ("one", "two"):
        library = Library(tmp_path / name, FakeEmbedder(), milvus_server)
        article = _article(tmp_path / f"{name}-articles", f"{name}.txt", f"Story {name}",
                           [f"Story {name} line {j} on the harbour plan." for j in range(5 if name == "one" else 9)])
        library.add([str(article)], story=name)
        libraries.append(library)
    assert libraries[0].library_id() != libraries[1].library_id()
    for library in libraries:
        _consistent(library)
        library.close()


def _storybot(home: Path, spec: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_") or k == "STORYBOT_MODEL_CACHE"}
    env.update(STORYBOT_HOME=str(home), STORYBOT_MODEL="fake", STORYBOT_VECTOR_STORE=spec, PYTHONIOENCODING="utf-8",
               PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, encoding="utf-8",
                          env=env, cwd=home.parent, timeout=180)


def test_no_command_prints_a_traceback_or_a_client_warning(spec, tmp_path):
    home = tmp_path / "home"
    article = _article(tmp_path / "articles", "ap.txt", "Bridge vote delayed",
                       ["The council delayed the bridge vote again on Tuesday.", "The mayor said the plan needs study."])
    spec = f"milvus:{tmp_path / 'store.db'}" if spec.startswith("milvus:") else spec
    commands = [("ask", SEED_QUESTION), ("index", "build"), ("add", str(article), "--story", "bridge"), ("remove", "ap")]
    for command in commands:
        result = _storybot(home, spec, *command)
        assert result.returncode == 0, f"storybot {' '.join(command)}: {result.stderr}"
        for noise in NOISE:
            assert noise not in result.stderr, f"storybot {' '.join(command)} printed {noise!r}:\n{result.stderr}"
    assert result.stdout == "removed ap\ndeleted the story bridge (no source left)\n"


def test_a_damaged_lite_file_is_kept_aside_and_the_vectors_are_refilled_from_the_catalog(tmp_path, caplog):
    article = _article(tmp_path / "articles", "a.txt", "Bridge vote", [f"Sentence {j} about the bridge vote." for j in range(12)])
    home = tmp_path / "lib"
    library = Library(home, FakeEmbedder(), "milvus:lite.db")
    library.add([str(article)], story="bridge")
    library.close()
    (lite,) = (home / "stores").rglob("lite.db")
    data = [p for p in lite.rglob("*.parquet") if not p.parents[3].name.endswith("_meta")]
    assert data
    for part in data:
        part.write_bytes(part.read_bytes()[:10])  # what a kill -9 in the middle of a write can leave
    library = Library(home, FakeEmbedder(), "milvus:lite.db")
    library.sync()
    _consistent(library)
    assert len(library.store.keys()) == library.catalog.passage_count() == 13
    library.close()
    (aside,) = lite.parent.glob("lite.db.damaged-*")
    assert all((aside / p.relative_to(lite)).stat().st_size == 10 for p in data)  # kept as it was
    assert "refilled from the catalog" in caplog.text
