"""Property-based tests of the command line: any question, any bytes, gives an answer or one clear line.

In-process through `bot.cli.app.run` with the fake embedder (milliseconds per input); a few inputs also go
through real subprocesses. Budgets: the "ci" profile in CI; `--hypothesis-profile=long` for 10,000.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli.app import run
from tests.conftest import PROJECT_ROOT

HOME = Path(__import__("tempfile").mkdtemp(prefix="storybot-fuzz-"))
ENV = {"STORYBOT_HOME": str(HOME), "STORYBOT_MODEL": "fake"}

questions = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=600),
    st.sampled_from(["-", "-1", "-x what", "- What did Paris deny?", "--", "@everyone", "`code`", "[x](http://a)",
                     "%s %d {0}", "\u202eRTL\u202c", "a\u200bb", "\x00", "What\x07", "   ", "é" * 501]),
    st.builds(lambda b: b.decode("utf-8", "surrogateescape"), st.binary(min_size=1, max_size=60)),
)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.StringIO()
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = run(argv)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    out.seek(0)
    return code, out.buffer.getvalue().decode("utf-8"), err.getvalue()


def _assert_answer_or_one_line(code: int, out: str, err: str, question: str) -> None:
    assert "internal error" not in err and "Traceback" not in err, (question, err)
    if code == 0:
        answer = json.loads(out)
        assert len(answer["outlets"]) == 2
    else:
        assert code == 2, (question, code, err)
        assert err.startswith("storybot: ") and err.count("\n") == 1, (question, err)


@given(questions)
def test_any_question_through_argv(question):
    code, out, err = _run(["ask", "--json", "--", question] if question.startswith("--") else ["ask", "--json", question])
    _assert_answer_or_one_line(code, out, err, question)


@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_any_words_after_ask(words):
    code, out, err = _run(["ask", *words])
    assert "internal error" not in err and "Traceback" not in err, (words, err)
    assert code in (0, 2), (words, code, err)
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("storybot: "), (words, err)


def test_chat_json_answers_every_line_it_can_in_order():
    lines = [b"What did Paris deny?", b"\xff\xfe not utf-8", b"", b"x" * 600, b"Who is Shoigu?", b"\x00", "é?".encode()]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_")}, **ENV, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--json"], input=b"\n".join(lines) + b"\n",
                            capture_output=True, env=env, cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(replies) == len(lines)
    assert replies[0]["question"] == "What did Paris deny?" and replies[4]["question"] == "Who is Shoigu?"
    assert replies[1] == {"error": "line 2 is not valid UTF-8 text; skipped"}
    assert "error" in replies[2] and "error" in replies[3] and "error" in replies[5]
    assert replies[6]["question"] == "é?"


@pytest.mark.parametrize("argv", [["ask", b"caf\xe9 \xff?".decode("utf-8", "surrogateescape")], ["ask", "-1"],
                                  ["ask", "-", "What", "did", "Paris", "deny?"], ["ask", "--bogus", "x"]])
def test_real_processes_with_odd_arguments(argv):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_")}, **ENV}
    result = subprocess.run([sys.executable, "-m", "bot.cli", *[os.fsencode(a) for a in argv]], capture_output=True,
                            env=env, cwd=PROJECT_ROOT, timeout=120)
    err = result.stderr.decode("utf-8", "replace")
    assert "internal error" not in err and "Traceback" not in err
    assert result.returncode in (0, 2)
    if result.returncode == 2:
        assert err.startswith("storybot: ") and err.count("\n") == 1, err
