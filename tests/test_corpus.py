"""Loading corpora: the seeds, story folders, folders of story folders and BASIL JSON; exact errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from retrieval.corpus import BASIL_OUTLETS, basil_text, load_corpus, normalize_outlet
from index.errors import CorpusError, UnknownSourceError, UnknownStoryError, UsageError
from tests.conftest import BASIL, SEEDS, needs_basil

SEED_IDS = ["000_5ace3053a7754062", "004_c92dd615dfce2fa4"]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path | str) -> str:
    """A regex matching `path` verbatim inside an error message."""
    return re.escape(str(path))


# --- the seeds ------------------------------------------------------------------------------------


def test_seeds_load_as_one_story_with_two_sources():
    corpus = load_corpus(SEEDS)
    assert list(corpus.stories) == ["shoigu-lecornu-call-2024"]
    story = corpus.story(None)
    assert story.title == "Shoigu–Lecornu phone call, 3 April 2024"
    assert [s.source_id for s in story.sources] == SEED_IDS
    assert {s.story_id for s in story.sources} == {"shoigu-lecornu-call-2024"}


def test_seed_metadata_comes_from_sources_json():
    meta = json.loads((SEEDS / "sources.json").read_text(encoding="utf-8"))["sources"]
    corpus = load_corpus(SEEDS)
    for source_id in SEED_IDS:
        source = corpus.source(source_id)
        assert source.outlet == meta[source_id]["outlet"]
        assert source.title == meta[source_id]["title"]
        assert source.date == meta[source_id]["date"]
        assert source.credit == meta[source_id]["credit"]
        assert source.text == (SEEDS / f"{source_id}.txt").read_text(encoding="utf-8")


def test_seed_story_by_id_and_summaries():
    corpus = load_corpus(SEEDS)
    assert corpus.story("shoigu-lecornu-call-2024") is corpus.story(None)
    [summary] = corpus.summaries()
    assert summary.story_id == "shoigu-lecornu-call-2024"
    assert summary.sources == SEED_IDS


def test_story_of_finds_the_story_holding_the_sources():
    corpus = load_corpus(SEEDS)
    assert corpus.story_of(SEED_IDS).story_id == "shoigu-lecornu-call-2024"
    with pytest.raises(UnknownSourceError, match=r"^no single story holds the sources \['nope'\]$"):
        corpus.story_of(["nope"])


def test_unknown_source_id():
    corpus = load_corpus(SEEDS)
    with pytest.raises(UnknownSourceError, match=rf"^no source 'nope' in {_error(SEEDS)}; `storybot sources` lists them$"):
        corpus.source("nope")


def test_unknown_story_id():
    corpus = load_corpus(SEEDS)
    with pytest.raises(UnknownStoryError, match=rf"^no story 'nope' in {_error(SEEDS)}; `storybot stories` lists them$"):
        corpus.story("nope")


def test_lookup_errors_are_usage_errors():
    assert issubclass(UnknownSourceError, UsageError) and issubclass(UnknownStoryError, UsageError)
    assert UnknownSourceError.exit_code == UnknownStoryError.exit_code == 2


# --- a plain story folder -------------------------------------------------------------------------


def test_story_folder_without_metadata(tmp_path):
    folder = tmp_path / "budget-vote"
    _write(folder / "alpha.txt", "\n  Parliament passes the budget  \n\nThe vote was close.\n")
    _write(folder / "beta.txt", "Budget approved\nLawmakers approved it on Tuesday.")
    corpus = load_corpus(folder)
    story = corpus.story(None)
    assert story.story_id == "budget-vote"
    assert story.title == "Parliament passes the budget"
    alpha, beta = story.sources
    assert (alpha.source_id, alpha.title, alpha.outlet) == ("alpha", "Parliament passes the budget", "unnamed outlet (alpha)")
    assert (beta.source_id, beta.title, beta.outlet) == ("beta", "Budget approved", "unnamed outlet (beta)")
    assert alpha.text == "\n  Parliament passes the budget  \n\nThe vote was close.\n"  # stored as is: offsets index it
    assert alpha.url is alpha.date is alpha.credit is None


def test_story_folder_partial_metadata_falls_back_per_field(tmp_path):
    folder = tmp_path / "story"
    _write(folder / "a.txt", "Headline A\n\nBody.")
    _write(folder / "b.txt", "Headline B\n\nBody.")
    _write(folder / "sources.json", json.dumps({"story": {"title": "The story"}, "sources": {"a": {"outlet": "Daily A"}}}))
    story = load_corpus(folder).story(None)
    assert (story.story_id, story.title) == ("story", "The story")
    a, b = story.sources
    assert (a.outlet, a.title) == ("Daily A", "Headline A")
    assert (b.outlet, b.title) == ("unnamed outlet (b)", "Headline B")


def test_folder_of_story_folders(tmp_path):
    _write(tmp_path / "two" / "y.txt", "Second story\n\nText.")
    _write(tmp_path / "one" / "x.txt", "First story\n\nText.")
    _write(tmp_path / "one" / "z.txt", "First story again\n\nText.")
    (tmp_path / "empty-dir").mkdir()
    _write(tmp_path / "notes" / "readme.md", "not an article")
    corpus = load_corpus(tmp_path)
    assert list(corpus.stories) == ["one", "two"]
    assert [s.source_id for s in corpus.stories["one"].sources] == ["x", "z"]
    assert corpus.stories["two"].title == "Second story"
    assert corpus.source("y").story_id == "two"
    assert [s.source_id for s in corpus.sources()] == ["x", "z", "y"]


def test_several_stories_need_a_name(tmp_path):
    _write(tmp_path / "one" / "x.txt", "One\n\nText.")
    _write(tmp_path / "two" / "y.txt", "Two\n\nText.")
    corpus = load_corpus(tmp_path)
    with pytest.raises(
        UnknownStoryError,
        match=rf"^the corpus {_error(tmp_path)} holds 2 stories; name one with --story \(`storybot stories` lists them\)$",
    ):
        corpus.story(None)
    assert corpus.story("two").story_id == "two"


def test_duplicate_story_ids(tmp_path):
    for name in ("one", "two"):
        _write(tmp_path / name / "x.txt", "Head\n\nText.")
        _write(tmp_path / name / "sources.json", json.dumps({"story": {"id": "same"}}))
    with pytest.raises(CorpusError, match=rf"^duplicate story ids in {_error(tmp_path)}: \['same'\]$"):
        load_corpus(tmp_path)


# --- errors ---------------------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(CorpusError, match=rf"^corpus folder not found: {_error(missing)}$"):
        load_corpus(missing)


def test_path_is_a_file(tmp_path):
    path = _write(tmp_path / "article.txt", "Text.")
    with pytest.raises(CorpusError, match=rf"^corpus path is not a folder: {_error(path)}$"):
        load_corpus(path)


def test_empty_folder(tmp_path):
    with pytest.raises(
        CorpusError,
        match=rf"^no articles found in {_error(tmp_path)} \(expected \*\.txt files, story folders, or BASIL JSON\)$",
    ):
        load_corpus(tmp_path)


def test_story_folder_with_metadata_but_no_articles(tmp_path):
    _write(tmp_path / "sources.json", json.dumps({"story": {"id": "x"}, "sources": {}}))
    with pytest.raises(CorpusError, match=rf"^no articles found in {_error(tmp_path)}"):
        load_corpus(tmp_path)


def test_non_utf8_article(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\u00e9 au lait.".encode("latin-1"))
    with pytest.raises(CorpusError, match=rf"^{_error(path)} is not UTF-8 text$"):
        load_corpus(tmp_path)


def test_invalid_sources_json(tmp_path):
    _write(tmp_path / "a.txt", "Head\n\nText.")
    meta = _write(tmp_path / "sources.json", '{"story": {"id": "x"},\n "sources": {')
    with pytest.raises(CorpusError, match=rf"^{_error(meta)} is not valid JSON: .+ at line 2$"):
        load_corpus(tmp_path)


def test_sources_json_not_an_object(tmp_path):
    _write(tmp_path / "a.txt", "Head\n\nText.")
    meta = _write(tmp_path / "sources.json", "[1, 2]")
    with pytest.raises(CorpusError, match=rf"^{_error(meta)} must hold a JSON object$"):
        load_corpus(tmp_path)


@pytest.mark.parametrize(
    "meta", [{"story": "abc"}, {"sources": ["a"]}, {"sources": {"a": "Reuters"}}], ids=["story", "sources", "source"]
)
def test_sources_json_with_wrong_shapes(tmp_path, meta):
    _write(tmp_path / "a.txt", "Head\n\nText.")
    _write(tmp_path / "sources.json", json.dumps(meta))
    with pytest.raises(CorpusError, match=re.escape(str(tmp_path / "sources.json"))):
        load_corpus(tmp_path)


@pytest.mark.parametrize("text", ["", "  \n\n \t"])
def test_empty_article(tmp_path, text):
    _write(tmp_path / "a.txt", "Head\n\nText.")
    path = _write(tmp_path / "b.txt", text)
    with pytest.raises(CorpusError, match=rf"^{_error(path)} is empty$"):
        load_corpus(tmp_path)


def test_corpus_error_exit_code():
    assert CorpusError.exit_code == 1


# --- fingerprint ----------------------------------------------------------------------------------


def test_fingerprint_is_stable_and_changes_with_any_text(tmp_path):
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    before = load_corpus(copy).fingerprint()
    assert load_corpus(copy).fingerprint() == before
    assert load_corpus(SEEDS).fingerprint() == before  # the path is not part of it
    article = copy / f"{SEED_IDS[1]}.txt"
    article.write_text(article.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert load_corpus(copy).fingerprint() != before


def test_fingerprint_ignores_display_metadata(tmp_path):
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    before = load_corpus(copy).fingerprint()
    meta = json.loads((copy / "sources.json").read_text(encoding="utf-8"))
    meta["sources"][SEED_IDS[0]]["outlet"] = "Renamed outlet"
    (copy / "sources.json").write_text(json.dumps(meta), encoding="utf-8")
    assert load_corpus(copy).fingerprint() == before


# --- BASIL ------------------------------------------------------------------------------------------


def _basil_record(triplet: str, source: str, title: str, paragraphs: list[list[str]], date: str = "2014-01-01") -> dict:
    return {"triplet-uuid": triplet, "source": source, "title": title, "body-paragraphs": paragraphs,
            "main-event": f"event {triplet}", "date": date, "url": f"https://example.com/{triplet}/{source}"}


@pytest.mark.parametrize(
    ("raw", "name"),
    [("nyt", "The New York Times"), ("FOX", "Fox News"), (" Hpo ", "HuffPost"), ("NYT", "The New York Times"),
     ("Reuters", "Reuters"), (" AP ", "AP")],
)
def test_normalize_outlet(raw, name):
    assert normalize_outlet(raw) == name


def test_basil_text_layout():
    record = {"title": "  A title ", "body-paragraphs": [["First.", " Second. "], [], ["  "], ["Third."]]}
    assert basil_text(record) == "A title\n\nFirst. Second.\n\nThird."


def test_basil_text_without_title_or_paragraphs():
    assert basil_text({"body-paragraphs": [["Only."]]}) == "\n\nOnly."
    assert basil_text({"title": "T"}) == "T"


def test_small_basil_folder(tmp_path):
    records = {
        "2014/bbb_1.json": _basil_record("bbb", "NYT", "B one", [["B text."]], "2014-05-01"),
        "2014/bbb_2.json": _basil_record("bbb", "fox", "B two", [["B text."]], "2014-05-01"),
        "2012/aaa_1.json": _basil_record("aaa", "hpo", "A one", [["A text.", "More."], ["Para two."]], "2012-01-01"),
    }
    for name, record in records.items():
        _write(tmp_path / name, json.dumps(record))
    corpus = load_corpus(tmp_path)
    assert list(corpus.stories) == ["aaa", "bbb"]  # ordered by date
    assert [(s.source_id, s.outlet) for s in corpus.stories["bbb"].sources] == [
        ("bbb_1", "The New York Times"),
        ("bbb_2", "Fox News"),
    ]
    a = corpus.source("aaa_1")
    assert (a.title, a.text, a.date, a.story_id) == ("A one", "A one\n\nA text. More.\n\nPara two.", "2012-01-01", "aaa")
    assert corpus.stories["aaa"].title == "event aaa"


def test_basil_record_missing_keys(tmp_path):
    path = _write(tmp_path / "2014" / "x_1.json", json.dumps({"source": "nyt", "title": "T"}))
    with pytest.raises(CorpusError, match=rf"^{_error(path)} is not a BASIL article: missing triplet-uuid, body-paragraphs$"):
        load_corpus(tmp_path)


@pytest.fixture(scope="module")
def basil():
    return load_corpus(BASIL)


@needs_basil
@pytest.mark.basil
def test_basil_has_100_stories_of_three_sources(basil):
    assert len(basil.stories) == 100
    assert all(len(story.sources) == 3 for story in basil.stories.values())
    assert len({s.source_id for s in basil.sources()}) == 300


@needs_basil
@pytest.mark.basil
def test_basil_outlets_are_normalised_whatever_the_case_in_the_files(basil):
    assert {s.outlet for s in basil.sources()} == set(BASIL_OUTLETS.values())
    raw = {json.loads(p.read_text(encoding="utf-8"))["source"] for p in BASIL.rglob("*.json")}
    assert {r.strip().lower() for r in raw} == set(BASIL_OUTLETS)
    for story in basil.stories.values():
        assert sorted(s.outlet for s in story.sources) == sorted(BASIL_OUTLETS.values())


@needs_basil
@pytest.mark.basil
def test_basil_stored_text_layout(basil):
    for path in sorted(BASIL.rglob("*.json"))[:30]:
        record = json.loads(path.read_text(encoding="utf-8"))
        source = basil.source(path.stem)
        assert source.text == basil_text(record)
        assert source.text.startswith(record["title"].strip())
        assert source.story_id == record["triplet-uuid"]
        assert "\n\n\n" not in source.text
