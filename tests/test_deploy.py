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


def test_dockerfile_pins_torch_first_copies_every_package_and_runs_the_bot():
    lines = [line.strip() for line in (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0].startswith("FROM python:3.11")
    installs = [i for i, line in enumerate(lines) if line.startswith("RUN pip install")]
    assert "torch==2.13.0" in lines[installs[0]] and "." in lines[installs[1]].split()
    copied = {line.split()[1] for line in lines if line.startswith("COPY")}
    packages = re.findall(r'"([a-z]+)"', (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8").split(
        "include = [", 1)[1].split("]", 1)[0])
    assert {p for p in packages if "." not in p} <= copied | {"pyproject.toml"}
    assert lines[-1] == 'CMD ["storybot", "discord"]'
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert not any("huggingface" in line or "hf_hub_download" in line for line in lines)
