"""Checkpoints: the last few kept, each with a checksum of its arrays, the newest usable one found.

A checkpoint is two files in a run's ``checkpoints/`` folder: ``gen-NNNNNN.npz`` (the arrays) and
``gen-NNNNNN.json`` (``{"generation", "checksum", "state"}``). Both are written whole (temporary
file, ``os.replace``), the .npz first: the .json is what makes a checkpoint count. The checksum is
a SHA-256 over every array's name, dtype, shape and bytes and over the state's JSON, so a
truncated, cut or altered .npz or .json (or a .json of another checkpoint) is recognised. :func:`newest` returns the newest checkpoint that
reads back whole and matches its checksum, and says in one line each why the newer ones were
skipped; when checkpoints exist but none is usable it raises one line naming them all.
"""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .files import check_file
from .records import dumps_json, npz_bytes, read_json, write_atomic

NAME = re.compile(r"gen-(\d{6,})\.(json|npz)")


class Damaged(ValueError):
    """A checkpoint that cannot be used (the message says which file and why)."""


@dataclass
class Checkpoint:
    generation: int
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]
    path: Path            # the .json


def checksum(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> str:
    """``sha256:<hex>`` over the arrays' names, dtypes, shapes and bytes, in name order, then the
    JSON of ``meta`` (keys sorted; ``meta`` as read back from JSON)."""
    h = hashlib.sha256()
    h.update(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return "sha256:" + h.hexdigest()


def stem(generation: int) -> str:
    return f"gen-{generation:06d}"


def generations(folder: Path, complete: bool = False) -> list[int]:
    """The generations that have a checkpoint file in ``folder`` (``complete``: a .json, the file
    written last), oldest first."""
    if not folder.is_dir():
        return []
    found = {int(m.group(1)) for p in folder.iterdir()
             if (m := NAME.fullmatch(p.name)) and (m.group(2) == "json" or not complete)}
    return sorted(found)


def save(folder: Path, generation: int, arrays: dict[str, np.ndarray], meta: dict[str, Any], keep: int = 2) -> None:
    """Write checkpoint ``generation`` and keep it and the ``keep - 1`` before it; checkpoints of later
    generations (from a run resumed at an earlier one) are dropped."""
    folder.mkdir(exist_ok=True)
    s = stem(generation)
    meta = json.loads(dumps_json(meta))       # as it will read back
    write_atomic(folder / f"{s}.npz", npz_bytes(arrays))
    write_atomic(folder / f"{s}.json", dumps_json({"generation": generation, "checksum": checksum(arrays, meta),
                                                   "state": meta}))
    older = [g for g in generations(folder) if g < generation]
    drop = older[:max(len(older) - (keep - 1), 0)] + [g for g in generations(folder) if g > generation]
    for g in drop:
        for ext in (".json", ".npz"):     # the .json first: a half-removed checkpoint does not count
            (folder / f"{stem(g)}{ext}").unlink(missing_ok=True)


def load(folder: Path, generation: int) -> Checkpoint:
    """Checkpoint ``generation``, read back and verified; :class:`Damaged` names the file and the fault."""
    js, npz = folder / f"{stem(generation)}.json", folder / f"{stem(generation)}.npz"
    try:
        doc = read_json(js)            # its messages name the file
    except (OSError, ValueError) as e:
        raise Damaged(_why(e)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("state"), dict) or doc.get("generation") != generation:
        raise Damaged(f"{js}: not a checkpoint of generation {generation}")
    try:
        check_file(npz)
    except (OSError, ValueError) as e:
        raise Damaged(_why(e)) from None
    try:
        with np.load(npz, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise Damaged(f"{npz}: unreadable ({_why(e)})") from None
    expected = doc.get("checksum")
    if expected is not None and checksum(arrays, doc["state"]) != expected:   # older checkpoints have none
        raise Damaged(f"{npz.name} and {js}: the arrays or the state do not match the checksum")
    return Checkpoint(generation, arrays, doc["state"], js)


def newest(folder: Path, warn: Callable[[str], None] | None = None) -> Checkpoint | None:
    """The newest usable checkpoint in ``folder``, or None when there is none at all. Each newer
    damaged one is reported through ``warn`` (one line); when all are damaged, :class:`Damaged`."""
    if folder.exists() and not folder.is_dir():
        raise Damaged(f"{folder}: is a file, expected a folder of checkpoints")
    faults: list[tuple[int, str]] = []
    for g in reversed(generations(folder, complete=True)):
        try:
            ck = load(folder, g)
        except Damaged as e:
            faults.append((g, str(e)))
            continue
        if faults and warn is not None:
            warn(f"checkpoint {' and '.join(stem(f) for f, _ in faults)} is damaged "
                 f"({'; '.join(m for _, m in faults)}); resuming from {stem(g)}")
        return ck
    if faults:
        raise Damaged(f"no usable checkpoint in {folder}: {'; '.join(m for _, m in faults)}")
    return None


def _why(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__
