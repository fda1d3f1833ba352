"""A benchmark's runs as a CSV file, one row per run, appended as each run ends, so that a cut-off
benchmark keeps what it did and the same command resumes it (runs already in the file are skipped).

A run is identified by its ``key`` columns (for example problem, method, seed, budget); ``plan`` is
the list of runs to do, each a tuple of its key values; ``run_one(run)`` does one and returns its
row (a dict over ``fields``; a measure a run does not have is left out and stays empty). Values are
read back as bool (True/False), int, float or string. Used by bench_transduction.py,
bench_trees.py, bench_hopfield.py, bench_neat.py and bench_memory_tasks.py.
"""
from __future__ import annotations

import csv
import io
import os
import sys


def parse(v: str):
    if v in ("True", "False"):
        return v == "True"
    for kind in (int, float):
        try:
            return kind(v)
        except ValueError:
            pass
    return v


def read_rows(path: str, fields: tuple) -> list[dict]:
    """The complete rows of ``path`` (none if it does not exist); a line cut off mid-write (no
    newline, or too few fields) is not a row; empty values are left out."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        lines = f.read().splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines = lines[:-1]
    if not lines:
        return []
    reader = csv.DictReader(lines)
    if tuple(reader.fieldnames) != tuple(fields):
        raise SystemExit(f"{path}: columns {reader.fieldnames} are not this benchmark's {list(fields)}")
    return [{k: parse(v) for k, v in r.items() if v != ""} for r in reader
            if None not in r and None not in r.values()]


def append_row(path: str, fields: tuple, row: dict) -> None:
    """Append ``row`` (the header first if the file is new) in one write; a last line cut off by a
    killed run (no newline) is dropped first."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if os.path.exists(path):
        with open(path, "rb+") as f:
            data = f.read()
            if data and not data.endswith(b"\n"):
                f.truncate(data.rfind(b"\n") + 1)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        w.writeheader()
    w.writerow(row)
    with open(path, "a", newline="") as f:
        f.write(buf.getvalue())
        f.flush()
        os.fsync(f.fileno())


def add_arguments(ap) -> None:
    """The ``--csv`` and ``--table`` options of a benchmark that keeps its runs with this module."""
    ap.add_argument("--csv", help="append one row per run here as it ends; runs already in it are skipped")
    ap.add_argument("--table", action="store_true", help="print the table(s) of the runs in --csv (run nothing)")


def print_table(a, ap, table, fields: tuple) -> bool:
    """With ``--table``: print ``table`` of the rows in ``--csv`` and return True (the caller stops)."""
    if not a.table:
        return False
    if not a.csv:
        ap.error("--table reads --csv")
    print(table(read_rows(a.csv, fields)))
    return True


def run_all(plan: list[tuple], path: str | None, fields: tuple, key: tuple, run_one, log=sys.stderr) -> list[dict]:
    """Do the runs of ``plan`` that ``path`` does not hold yet, in order, appending each row as its
    run ends; return the new rows."""
    done = {tuple(r[k] for k in key) for r in read_rows(path, fields)} if path else set()
    todo = [run for run in plan if run not in done]
    print(f"# {len(plan) - len(todo)} of {len(plan)} runs already in {path}, {len(todo)} to run", file=log, flush=True)
    rows = []
    for i, run in enumerate(todo):
        row = run_one(run)
        rows.append(row)
        if path:
            append_row(path, fields, row)
        print(f"# [{i + 1}/{len(todo)}] {row}", file=log, flush=True)
    return rows


def spread(values, scale: float = 1.0, digits: int = 1) -> str:
    """mean (min-max) of ``values`` times ``scale``."""
    v = [x * scale for x in values]
    return f"{sum(v) / len(v):.{digits}f} ({min(v):.{digits}f}-{max(v):.{digits}f})"
