"""Run folders: the files a run leaves behind, each written so that no reader sees half of it.

A run folder holds::

    config.toml       the fully resolved settings with the seed (a valid --config for a rerun)
    environment.json  evornn and dependency versions, git commit, Python, platform, command line
    metrics.csv       one row per generation (the runner's log row)
    best.npy          the best chromosome; network.json: the spec, evornn.build(**spec) rebuilds it
    summary.json      why the run stopped, evaluations, wall time, best scores (written last)
    checkpoints/      gen-NNNNNN.npz (arrays) + gen-NNNNNN.json (metadata and the arrays' checksum),
                      the last [run] keep_checkpoints kept (see evornn.checkpoints)

Whole files are written to a temporary file in the same folder and moved into place with
``os.replace``. metrics.csv is appended to with a single ``write`` per complete row (O_APPEND), so
a killed process leaves whole rows; ``resume`` cuts it back to the checkpoint's generation. A
checkpoint's .json is written after its .npz and is what makes it count. No pickle anywhere.
"""
from __future__ import annotations

import datetime
import io
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from . import files
from .files import check_folder, read_text, read_vector

CONFIG, ENV, METRICS, BEST, NETWORK, SUMMARY = ("config.toml", "environment.json", "metrics.csv", "best.npy",
                                                "network.json", "summary.json")
CHECKPOINTS = "checkpoints"
_UMASK = os.umask(0o022)
os.umask(_UMASK)
PACKAGES = ("evornn", "numpy", "numba", "deap", "pyswarms", "cma", "matplotlib", "ray")


# -- atomic files -------------------------------------------------------------------------------
def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)      # as an ordinary open() would create it
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_temporary(folder: str | Path) -> None:
    """Remove the temporary files :func:`write_atomic` leaves when killed, in ``folder`` and its
    sub-folders (the run folder and its checkpoints)."""
    for tmp in Path(folder).rglob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)


def _jsonable(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot write {type(o).__name__} to JSON")


def dumps_json(obj: Any) -> str:
    return json.dumps(obj, indent=1, default=_jsonable) + "\n"


def write_json(path: str | Path, obj: Any) -> None:
    write_atomic(path, dumps_json(obj))


def read_json(path: str | Path) -> Any:
    """The JSON object in ``path``; damaged, empty or not an object: one line naming the path."""
    return files.read_json(path)


def npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()


# -- metrics.csv ----------------------------------------------------------------------------------
def _cell(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    return str(v)


def _parse(s: str) -> float | int:
    try:
        return int(s)
    except ValueError:
        return float(s) if s else math.nan


def read_metrics(path: str | Path) -> list[dict[str, float | int]]:
    """The complete rows of a metrics.csv (a partial last line is ignored), numbers parsed exactly."""
    text = read_text(path, empty_ok=True)     # empty: killed before its first row
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines = lines[:-1]          # a row cut short
    lines = [ln for ln in lines if ln]
    if not lines:
        return []
    header = lines[0].split(",")
    rows = []
    for n, ln in enumerate(lines[1:], start=2):
        cells = ln.split(",")
        try:
            if len(cells) != len(header):
                raise ValueError
            rows.append(dict(zip(header, map(_parse, cells))))
        except ValueError:
            raise ValueError(f"{path}: line {n} is not a row of {len(header)} numbers (damaged?)") from None
    return rows


# -- the environment ------------------------------------------------------------------------------
def git_commit(where: Path) -> dict[str, Any]:
    """The git commit of the checkout holding ``where`` (and whether it has local changes), if any."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {}


def environment() -> dict[str, Any]:
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {"versions": versions, "git": git_commit(Path(__file__).resolve().parent),
            "python": sys.version.split()[0], "platform": platform.platform(),
            "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
            "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


# -- a run folder ---------------------------------------------------------------------------------
class RunRecord:
    """The folder of one run."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def create(cls, root: str | Path, name: str) -> "RunRecord":
        """A new, empty folder ``root/name`` (``name-2``, ``name-3``, ... if taken)."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        for k in range(1, 10_000):
            path = root / (name if k == 1 else f"{name}-{k}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return cls(path)
        raise ValueError(f"no free folder name for {name} in {root}")

    @classmethod
    def open(cls, path: str | Path) -> "RunRecord":
        rec = cls(check_folder(path))
        if (rec.path / "compare.toml").is_file():
            inner = sorted(p.name for p in (rec.path / "runs").glob("*") if (p / CONFIG).is_file())
            raise ValueError(f"{path} is a comparison folder, not a run folder; its runs are in {rec.path / 'runs'}"
                             + (f" ({len(inner)}, e.g. evornn show {rec.path / 'runs' / inner[0]})" if inner
                                else " (none has started yet)"))
        if not (rec.path / CONFIG).exists():
            if not any(rec.path.iterdir()):
                raise ValueError(f"{path} is an empty folder, not a run folder (a run killed as it started "
                                 "leaves one: remove it)")
            raise ValueError(f"{path} is not a run folder (it has no {CONFIG})")
        return rec

    # files
    def write_config(self, text: str) -> None:
        write_atomic(self.path / CONFIG, text)

    def write_environment(self, env: dict[str, Any]) -> None:
        write_json(self.path / ENV, env)

    def append_metrics(self, row: dict[str, Any]) -> None:
        path = self.path / METRICS
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            header = "" if os.fstat(fd).st_size else ",".join(row) + "\n"
            os.write(fd, (header + ",".join(_cell(v) for v in row.values()) + "\n").encode())
        finally:
            os.close(fd)

    def metrics(self) -> list[dict[str, float | int]]:
        path = self.path / METRICS
        return read_metrics(path) if path.exists() else []

    def truncate_metrics(self, n_rows: int) -> None:
        """Keep the header and the first ``n_rows`` complete rows of metrics.csv."""
        path = self.path / METRICS
        if not path.exists():
            return
        text = read_text(path, empty_ok=True)
        lines = text.split("\n")[:-1]   # only lines that ended with a newline
        keep = lines[:1 + n_rows] if n_rows else []
        write_atomic(path, "".join(ln + "\n" for ln in keep))

    def write_best(self, x: np.ndarray, spec: dict[str, Any]) -> None:
        write_json(self.path / NETWORK, spec)
        write_atomic(self.path / BEST, npy_bytes(np.asarray(x, dtype=np.float64)))

    def best(self) -> np.ndarray:
        return read_vector(self.path / BEST)

    def network_spec(self) -> dict[str, Any]:
        return read_json(self.path / NETWORK)

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json(self.path / SUMMARY, summary)

    def summary(self) -> dict[str, Any] | None:
        path = self.path / SUMMARY
        return read_json(path) if path.exists() else None

    @property
    def finished(self) -> bool:
        return (self.path / SUMMARY).exists()

    # checkpoints
    def save_checkpoint(self, generation: int, arrays: dict[str, np.ndarray], meta: dict[str, Any],
                        keep: int = 2) -> None:
        from . import checkpoints
        checkpoints.save(self.path / CHECKPOINTS, generation, arrays, meta, keep)

    def latest_checkpoint(self, warn=None) -> tuple[int, dict[str, np.ndarray], dict[str, Any]] | None:
        """(generation, arrays, meta) of the newest usable checkpoint, or None when there is none;
        newer damaged ones are reported through ``warn``; all damaged: ValueError naming them."""
        from . import checkpoints
        ck = checkpoints.newest(self.path / CHECKPOINTS, warn)
        return None if ck is None else (ck.generation, ck.arrays, ck.meta)
