"""A real Milvus standalone server for the store suite, started once per session on 127.0.0.1."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

# Every component registers this address with the others (unset, Milvus picks the first non-loopback one).
COMPONENTS = ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode")
START_SECONDS = 120


def _unavailable(reason: str) -> None:
    """Fail in CI, where the server is part of the suite; skip on a machine without it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"the Milvus server tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory) -> Iterator[str]:
    """The URI of a Milvus 2.3 standalone server (the `milvus` package), its data in a temporary folder."""
    try:
        from milvus import MilvusServer, MilvusServerConfig
    except ImportError:
        _unavailable("the `milvus` package is not installed (it is in the test extra: pip install -e '.[test]')")
    data = tmp_path_factory.mktemp("milvus-server")
    config = MilvusServerConfig(data_dir=str(data))
    for component in COMPONENTS:
        config.set(f"{component}.ip", "127.0.0.1")
    server = MilvusServer(config, wait_for_started=False)
    started = time.monotonic()
    try:
        server.start()
        server.wait_started(timeout=START_SECONDS * 1000)
    except Exception as exc:
        server.stop()
        _unavailable(f"the Milvus server did not start in {START_SECONDS} s ({type(exc).__name__}: {exc}); "
                     f"its logs are in {data / 'logs'}")
    print(f"\nMilvus server on 127.0.0.1:{server.listen_port}, ready in {time.monotonic() - started:.1f} s")
    yield f"http://127.0.0.1:{server.listen_port}"
    server.stop()
