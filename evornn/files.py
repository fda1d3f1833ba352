"""Reading the files evornn is given: a missing, empty, damaged or wrong-kind file, or a folder where
a file is expected, is one line naming the path and what is wrong (ValueError, or
FileNotFoundError when nothing is there), never a traceback from the parser underneath.
"""
from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np


def check_file(path: str | Path) -> Path:
    """``path`` if it is a regular file."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{p}: is a folder, expected a file")
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if not p.is_file():
        raise ValueError(f"{p}: not a regular file")
    return p


def check_folder(path: str | Path) -> Path:
    """``path`` if it is a folder."""
    p = Path(path)
    if p.is_dir():
        return p
    if p.exists():
        raise ValueError(f"{p}: is a file, expected a folder")
    raise FileNotFoundError(f"{p}: no such folder")


def read_bytes(path: str | Path, empty_ok: bool = False) -> bytes:
    p = check_file(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ValueError(f"{p}: cannot be read ({e.strerror or e})") from None
    if not raw and not empty_ok:
        raise ValueError(f"{p}: empty (damaged or cut short?)")
    return raw


def read_text(path: str | Path, empty_ok: bool = False) -> str:
    """The UTF-8 text of ``path`` (a leading byte-order mark dropped)."""
    raw = read_bytes(path, empty_ok)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not a UTF-8 text file (byte {e.start}; damaged, or not the file meant?)") from None


def read_json(path: str | Path, kind: type | None = dict) -> Any:
    """The JSON document in ``path``; ``kind``: the type its top level must have."""
    text = read_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}; damaged or cut short?)") from None
    if kind is not None and not isinstance(doc, kind):
        raise ValueError(f"{path}: expected a JSON {'object' if kind is dict else kind.__name__}, "
                         f"found {type(doc).__name__}")
    return doc


def read_toml(path: str | Path) -> dict[str, Any]:
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: {e}") from None


def read_vector(path: str | Path) -> np.ndarray:
    """A 1-D float64 array saved with ``np.save`` (no pickles)."""
    raw = read_bytes(path)
    if not raw.startswith(b"\x93NUMPY"):
        raise ValueError(f"{path}: not a .npy array file")
    try:
        a = np.load(io.BytesIO(raw), allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise ValueError(f"{path}: damaged .npy array ({' '.join(str(e).split()) or type(e).__name__})") from None
    if a.ndim != 1 or a.dtype != np.float64:
        raise ValueError(f"{path}: expected a vector of float64 parameters, found a {a.ndim}-D {a.dtype} array")
    return a
