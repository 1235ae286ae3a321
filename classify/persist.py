"""Saving and loading fitted models: a joblib file and a JSON metadata sidecar.

A joblib file is a pickle: loading one runs code from it. Load only models shipped in this
package or files you made yourself. Models are loaded only from the package or from a path
the caller names, never from a search path.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Iterable
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import joblib

PACKAGE_MODELS = Path(__file__).resolve().parent / "models"


class ModelFileError(RuntimeError):
    """A model file is missing, unreadable or of the wrong kind."""


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("classify", "scikit-learn", "numpy", "scipy", "joblib"):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def digest_texts(texts: Iterable[str]) -> str:
    """A SHA-256 over a sequence of strings (order matters), for data digests."""
    h = hashlib.sha256()
    for text in texts:
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def digest_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_model(obj: Any, path: str | Path, *, kind: str, metadata: dict[str, Any]) -> Path:
    """Write ``obj`` with joblib and a metadata sidecar beside it, both atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        joblib.dump(obj, tmp, compress=3)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sidecar = {
        "kind": kind,
        "versions": library_versions(),
        **metadata,
        "model_sha256": digest_file(path),
    }
    text = json.dumps(sidecar, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    side = sidecar_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{side.name}.", dir=side.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, side)
    return path


def read_sidecar(path: str | Path) -> dict[str, Any]:
    side = sidecar_path(Path(path))
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no metadata sidecar {side.name} beside the model") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{side}: unreadable metadata: {exc}") from None
    if not isinstance(data, dict):
        raise ModelFileError(f"{side}: metadata is not a JSON object")
    return data


def load_model(path: str | Path, *, kind: str, expected_type: type) -> Any:
    """Load a model the caller named, checking its sidecar says ``kind`` and its type."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"no such model file: {path}")
    meta = read_sidecar(path)
    if meta.get("kind") != kind:
        raise ModelFileError(f"{path}: a {meta.get('kind')!r} model, expected {kind!r}")
    try:
        obj = joblib.load(path)
    except Exception as exc:  # a corrupt pickle can raise almost anything
        raise ModelFileError(f"{path}: cannot load model: {type(exc).__name__}: {exc}") from None
    if not isinstance(obj, expected_type):
        raise ModelFileError(
            f"{path}: holds {type(obj).__name__}, expected {expected_type.__name__}"
        )
    return obj
