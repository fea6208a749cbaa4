"""What the command-line tests share: `storybot` run as a subprocess in a clean environment, and its checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SEEDS

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


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("storybot: ")
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    assert result.stdout == ""


def seed_text(source_id: str) -> str:
    return (SEEDS / f"{source_id}.txt").read_text(encoding="utf-8")


BRIDGE = ("Council delays the bridge vote\n\nThe city council delayed its vote on the new harbour bridge on Tuesday. "
          "The mayor said the bridge would now cost 41 million euros, eleven more than planned. "
          "Opponents said the delay showed the project had been rushed from the start.\n")
SEED_STORY = "shoigu-lecornu-call-2024"


def write_article(folder: Path, name: str, text: str = BRIDGE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def fake_storybot(*args: str, home: Path, stdin: str | None = None):
    """`storybot ARGS` with the fake embedder (no model) in the library at `home`."""
    return storybot(*args, index_dir=home, stdin=stdin, model="fake", timeout=60)

