"""The story library with the fake embedder: seeding, incremental adds, removes, mirrors, crash safety."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.embedding import FakeEmbedder
from index.errors import UnknownSourceError, UnknownStoryError, UsageError
from index.library import Library, open_library
from tests.conftest import PROJECT_ROOT, SEEDS

SEED_IDS = ["000_5ace3053a7754062", "004_c92dd615dfce2fa4"]


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the texts it is asked to embed."""

    def __init__(self):
        super().__init__()
        self.embedded = 0

    def embed(self, texts, progress=False):
        self.embedded += len(texts)
        return super().embed(texts, progress)


def _consistent(library: Library) -> None:
    """Every catalog passage has exactly one vector and no vector lacks a passage."""
    catalog_keys = {pid for pid, _ in library.catalog.passage_keys()}
    assert set(library.store.keys().tolist()) == catalog_keys
    assert library.store.synced_generation() == library.catalog.generation()


def _article(folder: Path, name: str, headline: str, sentences: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(headline + "\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    return path


SENTENCES = [f"The council voted {n} times on the bridge plan before the mayor spoke." for n in range(12)]


@pytest.fixture
def library(tmp_path) -> Library:
    return Library(tmp_path / "lib", CountingEmbedder())


def test_the_seed_story_is_imported_on_first_use_without_the_model(tmp_path):
    embedder = CountingEmbedder()
    library = open_library(tmp_path, None, embedder)
    assert [s.story_id for s in library.stories()] == ["shoigu-lecornu-call-2024"]
    assert library.stories()[0].sources == SEED_IDS
    assert embedder.embedded == 0, "listing a fresh library must not load the model"
    assert library.sync() == library.catalog.passage_count() > 30
    _consistent(library)
    for source_id in SEED_IDS:
        assert library.source(source_id).text == (SEEDS / f"{source_id}.txt").read_text(encoding="utf-8")


def test_a_library_whose_seed_story_was_deleted_stays_empty(tmp_path):
    library = open_library(tmp_path, None, FakeEmbedder())
    library.delete_story("shoigu-lecornu-call-2024")
    library.close()
    again = open_library(tmp_path, None, FakeEmbedder())
    assert again.stories() == []
    with pytest.raises(UnknownStoryError, match="holds no story yet; add articles with `storybot add"):
        again.story_id(None)


def test_add_embeds_only_new_sentences_and_readding_embeds_nothing(library, tmp_path):
    path = _article(tmp_path / "in", "council.txt", "Council votes on bridge", SENTENCES)
    report = library.add([str(path)], story="bridge")
    assert [a.source_id for a in report.added] == ["council"]
    assert report.embedded == report.added[0].passages == library.catalog.passage_count("council")
    assert report.reused == 0 and report.story == "bridge"
    _consistent(library)

    again = library.add([str(path)], story="bridge")
    assert again.added == [] and again.embedded == 0
    assert [(s.reason, s.duplicate) for s in again.skipped] == [("already in the library (source council, story bridge)", True)]

    edited = _article(tmp_path / "in2", "council.txt", "Council votes on bridge",
                      SENTENCES[:-1] + ["A wholly new sentence closes the report."])
    report = library.add([str(edited)], story="bridge")
    assert [a.source_id for a in report.added] == ["council-2"]  # ids never collide
    assert report.embedded == 1
    assert report.reused == report.added[0].passages - 1
    _consistent(library)


def test_passage_keys_are_stable_when_other_sources_come_and_go(library, tmp_path):
    first = library.add([str(_article(tmp_path, "a.txt", "A head", SENTENCES[:4]))], story="s")
    keys_before = [p.pid for p in library.story_passages("s").of_source["a"]]
    library.add([str(_article(tmp_path, "b.txt", "B head", SENTENCES[4:8]))], story="s")
    library.remove(["b"])
    library.add([str(_article(tmp_path, "c.txt", "C head", SENTENCES[8:]))], story="s")
    view = library.story_passages("s")
    assert [p.pid for p in view.of_source["a"]] == keys_before
    assert not set(keys_before) & {p.pid for p in view.of_source["c"]}
    assert first.story == "s" and [s.source_id for s in view.story.sources] == ["a", "c"]
    _consistent(library)


def test_remove_unknown_source_changes_nothing(library, tmp_path):
    library.add([str(_article(tmp_path, "a.txt", "A head", SENTENCES[:4]))], story="s")
    generation = library.catalog.generation()
    with pytest.raises(UnknownSourceError, match="no source 'nope'"):
        library.remove(["a", "nope"])
    assert library.catalog.generation() == generation and library.catalog.has_source("a")


def test_one_bad_file_never_stops_the_others(library, tmp_path):
    folder = tmp_path / "mixed"
    _article(folder, "good.txt", "Good head", SENTENCES[:3])
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00" * 50)
    report = library.add([str(folder)], story="mixed")
    assert [a.source_id for a in report.added] == ["good"]
    assert len(report.skipped) == 2
    _consistent(library)


def test_without_a_story_name_a_new_story_is_made_from_the_article(library, tmp_path):
    report = library.add([str(_article(tmp_path, "x.txt", "Storm hits the coast", SENTENCES[:2]))])
    assert report.story == "storm-hits-the-coast"
    assert library.story_id(None) == "storm-hits-the-coast"


def test_story_create_rename_delete(library, tmp_path):
    library.create_story("empty", "An empty story")
    with pytest.raises(UsageError, match="exists already"):
        library.create_story("empty")
    with pytest.raises(UsageError, match="a story id is"):
        library.create_story("bad id!")
    library.catalog.rename_story("empty", "Renamed")
    assert [(s.story_id, s.title) for s in library.stories()] == [("empty", "Renamed")]
    library.add([str(_article(tmp_path, "a.txt", "A head", SENTENCES[:4]))], story="empty")
    assert library.delete_story("empty") == ["a"]
    assert library.stories() == [] and library.store.keys().size == 0


def test_a_mirrored_folder_reembeds_only_what_changed(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus / "seeds-story", ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    embedder = CountingEmbedder()
    library = open_library(tmp_path / "home", corpus, embedder)
    library.sync()
    first = embedder.embedded
    assert first == library.catalog.passage_count()

    again = open_library(tmp_path / "home", corpus, embedder)
    again.sync()
    assert embedder.embedded == first  # nothing changed: nothing embedded

    article = corpus / "seeds-story" / f"{SEED_IDS[1]}.txt"
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more sentence was added today.\n", encoding="utf-8")
    meta = json.loads((corpus / "seeds-story" / "sources.json").read_text(encoding="utf-8"))
    meta["sources"][SEED_IDS[0]]["outlet"] = "Renamed wire"
    (corpus / "seeds-story" / "sources.json").write_text(json.dumps(meta), encoding="utf-8")
    changed = open_library(tmp_path / "home", corpus, embedder)
    changed.sync()
    assert embedder.embedded == first + 1
    assert changed.source(SEED_IDS[0]).outlet == "Renamed wire"
    assert changed.source(SEED_IDS[1]).text.endswith("One more sentence was added today.\n")
    _consistent(changed)

    article.unlink()
    gone = open_library(tmp_path / "home", corpus, embedder)
    assert gone.stories()[0].sources == [SEED_IDS[0]]
    gone.sync()
    _consistent(gone)


def test_a_store_that_fell_behind_is_caught_up_from_the_cache_without_the_model(library, tmp_path):
    library.add([str(_article(tmp_path, "a.txt", "A head", SENTENCES))], story="s")
    shutil.rmtree(library.home / "stores")  # as if the store had been lost or killed before it was written
    library.close()
    embedder = CountingEmbedder()
    reopened = Library(library.home, embedder)
    assert reopened.sync() == reopened.catalog.passage_count()
    assert embedder.embedded == 0
    _consistent(reopened)


def test_a_new_model_gets_its_own_store_and_cache(library, tmp_path):
    library.add([str(_article(tmp_path, "a.txt", "A head", SENTENCES[:5]))], story="s")
    library.close()
    other = Library(library.home, FakeEmbedder(dimension=64))
    assert other.sync() == other.catalog.passage_count()
    assert other.store.dimension == 64
    _consistent(other)


_WORKER = """
import sys, time
from pathlib import Path
from index.embedding import FakeEmbedder
from index.library import Library
home, folder, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
library = Library(home, FakeEmbedder())
for n in range(rounds):
    files = sorted(folder.glob("*.txt"))
    report = library.add([str(files[n % len(files)])], story="crash")
    for added in report.added:
        if n % 3 == 2:
            library.remove([added.source_id])
print("done", flush=True)
"""


@pytest.mark.parametrize("seed", range(4))
def test_kill_9_during_adds_and_removes_leaves_a_consistent_library(tmp_path, seed):
    folder = tmp_path / "articles"
    for i in range(6):
        _article(folder, f"art{i}.txt", f"Article {i} head", [f"Article {i} sentence {j} about the bridge vote." for j in range(40)])
    home = tmp_path / "lib"
    process = subprocess.Popen([sys.executable, "-c", _WORKER, str(home), str(folder), "60"], cwd=PROJECT_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.8 + 0.37 * seed)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    library = Library(home, FakeEmbedder())
    library.sync()
    _consistent(library)
    for source_id in library.catalog.source_ids("crash"):
        assert library.catalog.passage_count(source_id) == 41  # never a half-added source
    assert not [p for p in home.rglob("*") if ".tmp" in p.name]


def test_two_adds_at_once_both_land(tmp_path):
    folder = tmp_path / "articles"
    for i in range(2):
        _article(folder / str(i), f"two{i}.txt", f"Parallel {i} head", [f"Parallel {i} line {j} on the vote." for j in range(300)])
    home = tmp_path / "lib"
    Library(home, FakeEmbedder()).close()
    workers = [subprocess.Popen([sys.executable, "-c", _WORKER, str(home), str(folder / str(i)), "1"], cwd=PROJECT_ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    library = Library(home, FakeEmbedder())
    assert sorted(library.catalog.source_ids("crash")) == ["two0", "two1"]
    _consistent(library)


def test_an_add_interrupted_while_reading_stores_nothing_and_says_so(library, tmp_path):
    from index.ingest import read_inputs
    from index.library import AddInterrupted

    first = _article(tmp_path / "in", "first.txt", "First head", SENTENCES[:4])

    def drafts():
        yield from read_inputs([str(first)])
        raise KeyboardInterrupt  # Ctrl-C while the next input is fetched or read

    with pytest.raises(AddInterrupted) as stop:
        library.add_drafts(drafts(), story="s")
    assert stop.value.not_added is None and stop.value.report.added == []
    assert library.stories() == []


def test_an_add_interrupted_while_storing_keeps_the_sources_stored_before(library, tmp_path, monkeypatch):
    from index.library import AddInterrupted

    monkeypatch.setattr("index.library.EMBED_CHUNK", 4)
    paths = [_article(tmp_path / "in", f"{n}.txt", f"Head {n}", SENTENCES[i * 3 : i * 3 + 3])
             for i, n in enumerate("abc")]
    calls = []

    def interrupting(texts, progress=False):
        calls.append(texts)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return FakeEmbedder.embed(library.embedder, texts, progress)

    monkeypatch.setattr(library.embedder, "embed", interrupting)
    with pytest.raises(AddInterrupted) as stop:
        library.add([str(p) for p in paths], story="s")
    assert [a.source_id for a in stop.value.report.added] == ["a"] == library.catalog.source_ids("s")
    assert stop.value.not_added == [str(paths[1]), str(paths[2])]
    monkeypatch.undo()
    library.sync()
    _consistent(library)


def test_packaged_seeds_are_package_data():
    from index.library import packaged_seeds

    names = sorted(p.name for p in packaged_seeds().iterdir() if p.suffix in (".txt", ".json"))
    assert names == [f"{SEED_IDS[0]}.txt", f"{SEED_IDS[1]}.txt", "sources.json"]


def test_store_search_is_restricted_to_the_keys_asked_for(library, tmp_path):
    library.add([str(_article(tmp_path, "a.txt", "A head", SENTENCES[:6]))], story="s")
    library.add([str(_article(tmp_path, "b.txt", "B head", SENTENCES[6:]))], story="s")
    view = library.story_passages("s")
    only_a = np.asarray([p.pid for p in view.of_source["a"]], dtype=np.int64)
    query = library.embedder.embed(["bridge plan vote"])[0]
    keys, scores = library.store.search(query, only_a, len(only_a))
    assert set(keys.tolist()) == set(only_a.tolist())
    assert list(scores) == sorted(scores, reverse=True)


def test_a_story_folder_without_metadata_is_labelled_from_its_files(library, tmp_path):
    folder = tmp_path / "plain"
    _article(folder, "first.txt", "Flood closes the bridge", SENTENCES[:3])
    _article(folder, "second.md", "Bridge shut after flood", SENTENCES[3:6])
    report = library.add([str(folder)], story="flood")
    by_id = {s.source_id: s for s in library.story("flood").sources}
    assert sorted(by_id) == ["first", "second"] and not report.skipped
    assert by_id["first"].outlet == "first"
    assert by_id["first"].title == "Flood closes the bridge"


def test_two_stories_sharing_a_source_id_never_mix_texts(tmp_path):
    corpus = tmp_path / "corpus"
    _article(corpus / "one", "report.txt", "First story head", ["The dam held firm overnight."] * 2)
    _article(corpus / "two", "report.txt", "Second story head", ["The dam burst before dawn."] * 2)
    library = open_library(tmp_path / "home", corpus, FakeEmbedder())
    ids = {s.story_id: s.sources for s in library.stories()}
    assert ids == {"one": ["report"], "two": ["report-2"]}
    assert {library.source(s).outlet for s in ("report", "report-2")} == {"report"}, "the id's suffix is no outlet"
    for story_id, (source_id,) in ids.items():
        view = library.story_passages(story_id)
        source = library.source(source_id)
        assert all(source.text[p.start : p.end] == p.text for p in view.passages)
        assert ("held" in source.text) == (story_id == "one")


def test_sources_cut_by_an_older_splitter_are_cut_again_from_the_cache(tmp_path):
    embedder = CountingEmbedder()
    library = open_library(tmp_path, None, embedder)
    library.sync()
    path = _article(tmp_path / "in", "bridge.txt", "Bridge vote", SENTENCES[:4])
    library.add([str(path)], story="bridge")
    library.sync()
    before = {pid for pid, _ in library.catalog.passage_keys()}
    # A library made by an older release: one source's passages cut and labelled differently.
    with library.catalog.transaction() as db:
        db.execute("UPDATE passages SET kind='body' WHERE source_id=?", (SEED_IDS[0],))
    library.catalog.set_meta("segmenter_version", "0")
    library.close()
    embedded = embedder.embedded

    reopened = open_library(tmp_path, None, embedder)
    assert reopened.catalog.get_meta("segmenter_version") is not None
    seed = reopened.catalog.source(SEED_IDS[0])
    assert [p.kind for p in reopened.catalog.passages(seed)].count("furniture") > 0  # captions labelled again
    after = {pid for pid, _ in reopened.catalog.passage_keys()}
    untouched = {p.pid for sid in (SEED_IDS[1], "bridge") for p in reopened.catalog.passages(reopened.catalog.source(sid))}
    assert untouched <= before  # only the source whose passages differed got new keys
    assert after - before and not (after - before) & untouched
    reopened.sync()
    _consistent(reopened)
    assert embedder.embedded == embedded  # every sentence's vector came from the cache
    assert reopened.resplit() == 0  # once is enough


def test_removed_texts_keep_their_cached_vectors_until_pruned(library, tmp_path):
    library.add([str(_article(tmp_path / "a", "a.txt", "A head", SENTENCES[:6]))], story="s")
    library.add([str(_article(tmp_path / "b", "b.txt", "B head", SENTENCES[6:]))], story="s")
    total, unused = library.catalog.cache_counts()
    assert unused == 0 and total == library.catalog.passage_count()
    library.remove(["b"])
    total_after, unused = library.catalog.cache_counts()
    assert total_after == total and unused == total - library.catalog.passage_count() > 0
    readded = library.add([str(_article(tmp_path / "b2", "b.txt", "B head", SENTENCES[6:]))], story="s")
    assert readded.embedded == 0, "until pruned, a removed text comes back from the cache"
    library.remove([readded.added[0].source_id])
    assert library.prune_cache() == unused
    assert library.catalog.cache_counts() == (library.catalog.passage_count(), 0)
    again = library.add([str(_article(tmp_path / "b3", "b.txt", "B head", SENTENCES[6:]))], story="s")
    assert again.embedded == again.added[0].passages, "pruned vectors are embedded anew"
    assert library.prune_cache() == 0
    _consistent(library)


def test_articles_another_process_adds_are_searchable_without_a_restart(library, tmp_path):
    library.add([str(_article(tmp_path, "a.txt", "A head", SENTENCES[:6]))], story="s")
    library.story_passages("s")  # a running bot has read the story and opened its store
    other = Library(tmp_path / "lib", CountingEmbedder())  # `storybot add` from another process
    other.add([str(_article(tmp_path, "b.txt", "B head", SENTENCES[6:]))], story="s")
    view = library.story_passages("s")
    added = np.asarray([p.pid for p in view.of_source["b"]], dtype=np.int64)
    keys, _ = library.store.search(library.embedder.embed(["bridge plan"])[0], added, len(added))
    assert set(keys.tolist()) == set(added.tolist())
    assert library.store.get(added).shape[0] == len(added)
