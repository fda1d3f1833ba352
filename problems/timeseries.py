"""Next-step prediction of your own time series from a CSV file (the task of Connor, Martin & Atlas
1994 and of the forecasting surveys: Hewamalage, Bergmeir & Bandara 2021).

The column ``column`` (by header name) of the CSV file ``path`` is the series. Its first ``split``
fraction is the training part, the rest the test part; both are standardised with the training
part's mean and standard deviation (``mse`` is in those units). At step t the network gets the
last ``window`` values and predicts the next one; each part is one sequence from the zero state
whose first ``washout`` steps are not scored. ``nrmse`` = sqrt(mse / variance of the scored
targets). A step is learnt when the error is within ``tolerance`` (standardised units). Solved:
test NRMSE at most ``target_nrmse`` (the project's default, 0.1).

There is no default file: ``make_problem("timeseries", path="prices.csv", column="close")``. A
missing file or column, a non-numeric column, missing, NaN or infinite values, or a series too
short for the split, window and washout raise a one-line ValueError naming the problem.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from .supervised import SequenceData, SequenceProblem, data_bytes

DESCRIPTION = "next-step prediction of a series from your CSV file (column by name, train/test split, input window)"


def read_column(path: str | Path, column: str | None, name: str = "timeseries",
                delimiter: str = ",") -> tuple[np.ndarray, str]:
    """The values (float64) of ``column`` in the CSV file ``path`` (header row first), and the
    column's name (the only column when ``column`` is None)."""
    from ..files import read_text
    p = Path(path)
    if not p.exists():
        raise ValueError(f"problem {name}: no such file {str(p)!r}")
    try:
        rows = list(csv.reader(io.StringIO(read_text(p, empty_ok=True), newline=""), delimiter=delimiter))
    except ValueError as e:                  # a folder, unreadable, not text: the message names the path
        raise ValueError(f"problem {name}: {e}") from None
    except csv.Error as e:
        raise ValueError(f"problem {name}: {str(p)!r} is not a CSV file ({e})") from None
    if not rows:
        raise ValueError(f"problem {name}: {str(p)!r} is empty")
    header = [h.strip() for h in rows[0]]
    if column is None:
        if len(header) != 1:
            raise ValueError(f"problem {name}: choose a column with column=...; {str(p)!r} has {', '.join(header)}")
        column = header[0]
    if column not in header:
        raise ValueError(f"problem {name}: {str(p)!r} has no column {column!r}; it has {', '.join(header)}")
    j = header.index(column)
    values = np.empty(len(rows) - 1)
    for r, row in enumerate(rows[1:], start=2):
        cell = row[j].strip() if j < len(row) else ""
        try:
            v = float(cell) if cell else math.nan
        except ValueError:
            raise ValueError(f"problem {name}: column {column!r} of {str(p)!r} is not numeric "
                             f"(line {r}: {cell[:30]!r})") from None
        if not math.isfinite(v):
            raise ValueError(f"problem {name}: column {column!r} of {str(p)!r} has a missing, NaN or "
                             f"infinite value at line {r}")
        values[r - 2] = v
    return values, column


def windows(v: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (m - window, window): the last ``window`` values at each step; targets the next value."""
    X = np.lib.stride_tricks.sliding_window_view(v[:-1], window)
    return np.ascontiguousarray(X), v[window:]


def line_ends(path: str | Path, block: int = 2**20) -> int:
    """The line ends in the file ``path`` ("\\n", or "\\r" alone in an old Mac file), read in blocks
    of ``block`` bytes, nothing kept: at least its CSV rows but the last (a quoted field spanning
    lines only adds to the count)."""
    n, r = 0, 0
    with open(path, "rb") as f:
        while chunk := f.read(block):
            n, r = n + chunk.count(b"\n"), r + chunk.count(b"\r")
    return max(n, r)


def estimate_data_bytes(name: str, path: str | None, window: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): m values (at most the file's
    line ends: its rows but the header, or one more when the last line has no end), cut into two
    parts of m - 2 window steps in all, ``window`` inputs and one output each. The file is read
    once in 1 MiB blocks to count the lines (a few seconds a GiB) and nothing is kept: its size
    alone (os.stat) bounds m only by half its bytes, ten times too many for a usual CSV row."""
    window = int(window)
    m = line_ends(path)
    return data_bytes(max(m - 2 * window, 0), 2, window, 1)


def make(name: str = "timeseries", path: str | None = None, column: str | None = None, split: float = 0.8,
         window: int = 1, washout: int = 10, tolerance: float = 0.1, target_nrmse: float = 0.1,
         delimiter: str = ",", seed: int = 0) -> SequenceProblem:
    """Your series as a problem (no randomness: ``seed`` is accepted for a uniform interface)."""
    if path is None:
        raise ValueError(f"problem {name}: give the CSV file with path=... (and the column with column=...)")
    window, washout, split = int(window), int(washout), float(split)
    if window < 1 or washout < 0 or not 0.0 < split < 1.0:
        raise ValueError(f"problem {name}: need window >= 1, washout >= 0 and 0 < split < 1, got {window}, {washout}, {split}")
    v, column = read_column(path, column, name, delimiter)
    n_train = int(split * v.size)
    need = window + washout + 2                          # values per part for two scored steps
    if min(n_train, v.size - n_train) < need:
        raise ValueError(f"problem {name}: the series has {v.size} values; with split={split:g}, window={window} "
                         f"and washout={washout} each part needs at least {need}")
    mean, std = float(v[:n_train].mean()), float(v[:n_train].std())
    if std == 0.0:
        raise ValueError(f"problem {name}: the training part of the series is constant")
    z = (v - mean) / std
    parts = []
    for seg in (z[:n_train], z[n_train:]):
        X, y = windows(seg, window)
        parts.append(SequenceData.from_sequences([X], [y], washout=washout))
    return SequenceProblem(
        name, parts[0], parts[1], tolerance=tolerance, measures=("nrmse",),
        solved_when=(("nrmse", "<=", target_nrmse),), causal=True, description=DESCRIPTION,
        solved_description=f"test NRMSE <= {target_nrmse:g}", output_activation="linear",
        default_net={"arch": "elman", "n_hidden": 8, "activation": "tanh"},
        params={"path": str(path), "column": column, "split": split, "window": window, "washout": washout,
                "tolerance": float(tolerance), "target_nrmse": float(target_nrmse), "delimiter": delimiter,
                "seed": int(seed)})
