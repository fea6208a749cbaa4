"""The library's commands as subprocesses: sources, stories, story, add, remove, index (no model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.wording import plural
from tests.bot.cli.conftest import (
    SEED_IDS,
    SEED_STORY,
    assert_one_line_error,
    fake_storybot,
    fast,
    seed_text,
    storybot,
    write_article,
)
from tests.conftest import SEEDS


# --- commands that must not need the model --------------------------------------------------------


def test_sources_json(index_dir):
    result = fast("sources", "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [s["source_id"] for s in listed] == SEED_IDS
    meta = json.loads((SEEDS / "sources.json").read_text(encoding="utf-8"))["sources"]
    for entry in listed:
        assert entry["story_id"] == "shoigu-lecornu-call-2024"
        assert entry["outlet"] == meta[entry["source_id"]]["outlet"]
        assert isinstance(entry["passages"], int) and entry["passages"] > 5


def test_source_shows_metadata_and_full_text(index_dir):
    result = fast("source", SEED_IDS[0], index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"id:       {SEED_IDS[0]}\n")
    assert "outlet:   AFP/AP wire report" in result.stdout
    assert seed_text(SEED_IDS[0]).strip() in result.stdout


def test_source_json(index_dir):
    result = fast("source", SEED_IDS[1], "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["text"] == seed_text(SEED_IDS[1])
    assert shown["source_id"] == SEED_IDS[1]


def test_stories(index_dir):
    result = fast("stories", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "shoigu-lecornu-call-2024  Shoigu–Lecornu phone call, 3 April 2024  (2 sources)\n"


def test_index_info_on_a_fresh_library_needs_no_model(tmp_path):
    result = fast("index", "info", "--json", index_dir=tmp_path / "fresh")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert (info["stories"], info["sources"]) == (1, 2)  # the seed story, imported on first use
    assert info["store_generation"] is None
    assert info["status"].startswith("behind")


def test_index_prune_forgets_the_vectors_of_a_deleted_story(tmp_path):
    """With the fake embedder: deleting the seed story keeps its vectors cached until `index prune`."""
    home = tmp_path / "prune"
    assert storybot("ask", "What did Paris deny?", index_dir=home, model="fake").returncode == 0
    before = json.loads(fast("index", "info", "--json", index_dir=home).stdout)
    assert before["cached_vectors"] == before["passages"] > 30 and before["unused_cached_vectors"] == 0
    assert storybot("story", "delete", "shoigu-lecornu-call-2024", index_dir=home, model="fake").returncode == 0
    gone = json.loads(fast("index", "info", "--json", index_dir=home).stdout)
    assert gone["passages"] == 0 and gone["unused_cached_vectors"] == before["cached_vectors"]
    pruned = storybot("index", "prune", "--json", index_dir=home, model="fake")
    assert pruned.returncode == 0, pruned.stderr
    report = json.loads(pruned.stdout)
    assert report["removed"] == before["cached_vectors"] and report["kept"] == 0
    assert report["catalog_bytes_after"] < report["catalog_bytes_before"]
    text = storybot("index", "prune", index_dir=home, model="fake")
    assert text.stdout.startswith("removed 0 cached vectors no passage uses; kept 0;"), text.stdout


# --- stories of the user's own (fake embedder: no model) ------------------------------------------


def test_story_use_sets_the_default_story_shown_by_stories_and_used_by_ask(tmp_path):
    home = tmp_path / "home"
    assert fake_storybot("add", str(write_article(tmp_path / "bridge", "ap.txt").parent), home=home).returncode == 0
    refused = fake_storybot("ask", "What did Paris deny?", home=home)
    assert_one_line_error(refused, 2, "the library holds 2 stories", "storybot story use ID")
    chosen = fake_storybot("story", "use", SEED_STORY, home=home)
    assert chosen.returncode == 0, chosen.stderr
    assert SEED_STORY in chosen.stdout
    listed = fake_storybot("stories", home=home).stdout.splitlines()
    assert listed[0].endswith("(2 sources)  (default)") and not listed[1].endswith("(default)"), listed
    assert [s["default"] for s in json.loads(fake_storybot("stories", "--json", home=home).stdout)] == [True, False]
    asked = fake_storybot("ask", "What did Paris deny?", "--json", home=home)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["story"] == SEED_STORY
    other = fake_storybot("ask", "--story", "bridge", "What did the mayor say?", "--json", home=home)
    assert json.loads(other.stdout)["story"] == "bridge", "--story still names another story"
    assert_one_line_error(fake_storybot("story", "use", "no-such-story", home=home), 2, "no story 'no-such-story'")
    assert fake_storybot("story", "use", "--clear", home=home).returncode == 0
    assert_one_line_error(fake_storybot("ask", "What did Paris deny?", home=home), 2, "the library holds 2 stories")
    assert_one_line_error(fake_storybot("story", "use", home=home), 2, "name the story to use, or give --clear")


def test_the_bot_answers_an_unbound_channel_from_the_story_chosen_with_story_use(tmp_path):
    from types import SimpleNamespace

    from bot.discord.settings import DiscordSettings
    from bot.discord.story_cog import StoryCog
    from index.embedding import FakeEmbedder
    from retrieval.engine import Engine
    from retrieval.settings import Settings
    from tests.bot.discord.fake import snowflake_token

    home = tmp_path / "home"
    fake_storybot("add", str(write_article(tmp_path / "bridge", "ap.txt").parent), home=home)
    fake_storybot("story", "use", "bridge", home=home)
    engine = Engine(Settings(home=home, model="fake"), embedder=FakeEmbedder())
    settings = DiscordSettings(_env_file=None, discord_token=snowflake_token(1098765432109876543))
    cog = StoryCog(SimpleNamespace(engine=engine, settings=settings, answer_pool=None))
    assert cog.story_for(SimpleNamespace(id=5, parent_id=None)) == "bridge", "not the oldest story"


def test_deleting_the_default_story_leaves_no_default(tmp_path):
    home = tmp_path / "home"
    fake_storybot("add", str(write_article(tmp_path / "bridge", "ap.txt").parent), home=home)
    fake_storybot("story", "use", "bridge", home=home)
    assert fake_storybot("story", "delete", "bridge", home=home).returncode == 0
    assert "(default)" not in fake_storybot("stories", home=home).stdout
    assert json.loads(fake_storybot("ask", "What did Paris deny?", "--json", home=home).stdout)["story"] == SEED_STORY


@pytest.mark.parametrize("args", [("--story", "no-such-story"), ("--json", "--story", "no-such-story"), ()],
                         ids=["unknown", "unknown-json", "ambiguous"])
def test_chat_checks_its_story_before_reading_any_input(tmp_path, args):
    home = tmp_path / "home"
    fake_storybot("add", str(write_article(tmp_path / "bridge", "ap.txt").parent), home=home)  # two stories: none is implied
    result = fake_storybot("chat", *args, home=home, stdin="What did Paris deny?\nWhat did the mayor say?\n")
    assert_one_line_error(result, 2, "no story 'no-such-story'" if args else "the library holds 2 stories")


def _two_stories_holding_ap_txt(root: Path) -> Path:
    corpus = root / "corpus"
    write_article(corpus / "bridge", "ap.txt")
    write_article(corpus / "flood", "ap.txt", "Flood closes the valley road\n\nHeavy rain flooded the valley road on Monday. "
                                       "Officials said the road would reopen on Friday.\n")
    (corpus / "README.md").write_text("# My stories\n\nTwo folders of articles, one per story.\n", encoding="utf-8")
    return corpus


def test_two_stories_each_holding_ap_txt_are_both_from_ap_and_readding_them_exits_0(tmp_path):
    home, corpus = tmp_path / "home", _two_stories_holding_ap_txt(tmp_path)
    added = fake_storybot("add", str(corpus), home=home)
    assert added.returncode == 0, added.stderr
    assert "created the story bridge (1 source)\ncreated the story flood (1 source)\n" in added.stdout
    assert "skipped " + str(corpus / "README.md") + ": notes beside story folders" in added.stdout
    listed = {s["story_id"]: s["sources"] for s in json.loads(fake_storybot("stories", "--json", home=home).stdout)}
    assert listed["bridge"] == ["ap"] and listed["flood"] == ["ap-2"] and "corpus" not in listed
    for story in ("bridge", "flood"):
        (entry,) = json.loads(fake_storybot("sources", "--story", story, "--json", home=home).stdout)
        assert entry["outlet"] == "ap", entry
    answer = fake_storybot("ask", "--story", "flood", "When will the road reopen?", home=home)
    assert "■ ap — Flood closes the valley road" in answer.stdout and "ap-2)" not in answer.stdout
    again = fake_storybot("add", str(corpus), home=home)
    assert again.returncode == 0, again.stderr
    assert "already in the library (source ap-2, story flood)" in again.stdout
    assert again.stdout.endswith("nothing new: every article read is already in the library\n")
    one = fake_storybot("add", str(corpus / "bridge" / "ap.txt"), "--json", home=home)
    assert one.returncode == 0 and json.loads(one.stdout)["skipped"][0]["duplicate"] is True
    write_article(tmp_path / "bad", "empty.txt", "")
    assert fake_storybot("add", str(tmp_path / "bad" / "empty.txt"), home=home).returncode == 1, "nothing readable: exit 1"


def test_remove_story_undoes_a_folder_add_and_story_delete_takes_several_ids(tmp_path):
    home, corpus = tmp_path / "home", _two_stories_holding_ap_txt(tmp_path)
    write_article(corpus / "flood", "reuters.txt", "Valley road shut by floods\n\nThe valley road was shut after the "
                                            "floods on Monday. It would reopen on Friday, officials said.\n")
    assert fake_storybot("add", str(corpus), home=home).returncode == 0
    assert_one_line_error(fake_storybot("remove", "--story", "flood", "ap", home=home), 2, "the story flood holds no source 'ap'")
    assert_one_line_error(fake_storybot("remove", home=home), 2, "name the sources to remove, or a story with --story ID")
    removed = fake_storybot("remove", "--story", "flood", "--json", home=home)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout) == {"removed": ["ap-2", "reuters"], "deleted_stories": ["flood"]}
    one = fake_storybot("remove", "ap", home=home)
    assert one.stdout == "removed ap\ndeleted the story bridge (no source left)\n", "no empty story is left behind"
    assert [s["story_id"] for s in json.loads(fake_storybot("stories", "--json", home=home).stdout)] == [SEED_STORY]
    assert fake_storybot("add", str(corpus), home=home).returncode == 0
    assert_one_line_error(fake_storybot("story", "delete", "bridge", "no-such-story", home=home), 2, "no story 'no-such-story'")
    assert len(json.loads(fake_storybot("stories", "--json", home=home).stdout)) == 3, "nothing deleted when one id is unknown"
    deleted = fake_storybot("story", "delete", "bridge", "flood", home=home)
    assert deleted.stdout == "deleted story bridge and 1 source\ndeleted story flood and 2 sources\n", deleted.stderr
    assert [s["story_id"] for s in json.loads(fake_storybot("stories", "--json", home=home).stdout)] == [SEED_STORY]


# Runs `storybot add` with the fake embedder sending this process a real SIGINT (Ctrl-C) on its Nth model call;
# four passages per model call, so every article is its own batch.
_INTERRUPTED_ADD = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal, even when the suite runs in the background
import index.library
from index.embedding import FakeEmbedder
index.library.EMBED_CHUNK = 4
calls, embed = [], FakeEmbedder.embed
def interrupting(self, texts, progress=False):
    calls.append(len(texts))
    if len(calls) == int(os.environ["INTERRUPT_AT"]):
        os.kill(os.getpid(), signal.SIGINT)
    return embed(self, texts, progress)
FakeEmbedder.embed = interrupting
from bot.cli.app import main
sys.argv = ["storybot", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("interrupt_at", [1, 3])
def test_ctrl_c_during_add_says_what_was_added_and_what_was_not_and_exits_130(tmp_path, interrupt_at):
    home, folder = tmp_path / "home", tmp_path / "story"
    for name in "abcd":
        write_article(folder, f"{name}.txt", f"Report {name} on the bridge\n\nThe council met about the bridge {name}. "
                                      f"The mayor spoke about report {name} at length.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_") or k == "STORYBOT_MODEL_CACHE"}
    env.update(STORYBOT_HOME=str(home), STORYBOT_MODEL="fake", INTERRUPT_AT=str(interrupt_at), PYTHONIOENCODING="utf-8")
    result = subprocess.run([sys.executable, "-c", _INTERRUPTED_ADD, "add", str(folder)], capture_output=True,
                            text=True, encoding="utf-8", env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 130, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    stored = interrupt_at - 1
    added = [line for line in result.stdout.splitlines() if line.startswith("added ")]
    not_added = [line for line in result.stdout.splitlines() if line.startswith("not added (interrupted): ")]
    assert [line.split()[1] for line in added] == list("abcd"[:stored])
    assert [Path(line.split(": ", 1)[1]).name for line in not_added] == [f"{n}.txt" for n in "abcd"[stored:]]
    if stored:
        assert result.stderr.startswith(f"storybot: interrupted after adding {plural(stored, 'article')}; not added: ")
    else:
        assert result.stderr.startswith("storybot: interrupted before any article was added; not added: ")
    listed = {s["story_id"]: s["sources"] for s in json.loads(fake_storybot("stories", "--json", home=home).stdout)}
    assert listed.get("story", []) == list("abcd"[:stored]), "what was reported added is stored, the rest is not"
    resumed = fake_storybot("add", str(folder), home=home)
    assert resumed.returncode == 0, resumed.stderr
    assert [line.split()[1] for line in resumed.stdout.splitlines() if line.startswith("added ")] == list("abcd"[stored:])
    asked = fake_storybot("ask", "--story", "story", "What did the mayor speak about?", "--json", home=home)
    assert asked.returncode == 0 and len(json.loads(asked.stdout)["outlets"]) == 4
