"""A real Milvus standalone server for the store suite, started once per session on 127.0.0.1."""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

# Every component registers this address with the others (unset, Milvus picks the first non-loopback one).
COMPONENTS = ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode")
START_SECONDS = 120
# The package's server binds fixed ports (embedded etcd's 2380): a machine holds one at a time, so under
# `pytest -n N --dist loadgroup` (scripts/test.sh) every test that needs it runs on one worker.
ON_THE_SERVER = (pytest.mark.milvus_server, pytest.mark.xdist_group("milvus-server"))


def _unavailable(reason: str) -> None:
    """Fail in CI, where the server is part of the suite; skip on a machine without it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"the Milvus server tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _wait_until_healthy(server, logs: Path) -> None:
    """Return once the server answers its health check; raise naming why it will not."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.webservice_port}/healthz", timeout=2) as reply:
                if b"OK" in reply.read():
                    time.sleep(1)  # as the package's own wait does: components settle just after the first OK
                    return
        except OSError:
            pass
        code = server.server_proc.poll()
        if code is not None:
            errors = [line for line in (logs / "milvus-stdout.log").read_text(errors="replace").splitlines() if "[ERROR]" in line]
            last = errors[-1][:300] if errors else "no [ERROR] line in milvus-stdout.log"
            # e.g. embedded etcd's peer port 2380, which is fixed: one Milvus of this package per machine
            raise RuntimeError(f"it exited with code {code}: {last}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"it did not answer its health check in {START_SECONDS} s")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory) -> Iterator[str]:
    """The URI of a Milvus 2.3 standalone server (the `milvus` package), its data in a temporary folder."""
    try:
        from milvus import MilvusServer, MilvusServerConfig, __version__
    except ImportError:
        _unavailable("the `milvus` package is not installed (it is in the test extra: pip install -e '.[test]')")
    data = tmp_path_factory.mktemp("milvus-server")
    # The package unpacks its 250 MB of binaries into the data folder on every start (~4 s of CPU); a
    # folder beside pytest's temporary ones keeps one unpacked copy across sessions.
    unpacked = tmp_path_factory.getbasetemp().parent / f"milvus-{__version__}-bin"
    unpacked.mkdir(exist_ok=True)
    (data / "bin").symlink_to(unpacked, target_is_directory=True)
    config = MilvusServerConfig(data_dir=str(data))
    for component in COMPONENTS:
        config.set(f"{component}.ip", "127.0.0.1")
    server = MilvusServer(config, wait_for_started=False)
    started = time.monotonic()
    try:
        server.start()
        _wait_until_healthy(server, data / "logs")
    except Exception as exc:
        server.stop()
        _unavailable(f"the Milvus server did not start: {exc}; its logs are in {data / 'logs'}")
    print(f"\nMilvus server on 127.0.0.1:{server.listen_port}, ready in {time.monotonic() - started:.1f} s")
    yield f"http://127.0.0.1:{server.listen_port}"
    server.stop()
