"""Checkpoint rotation and fallback: the last two kept, each with a checksum; a damaged newest one
is reported and the one before it used, and the resumed run ends as the uninterrupted one."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from evornn import checkpoints, cli, config, runs
from evornn.records import read_json, read_metrics, npz_bytes

DOC = {"problem": {"name": "pole-balance", "poles": 1, "max_steps": 300},
       "network": {"arch": "frnn", "n_hidden": 1},
       "optimiser": {"name": "ga", "population": 10},
       "stop": {"max_generations": 9, "solved": False}, "run": {"checkpoint_every": 2}}


class Crash(Exception):
    pass


def crash_at(generation: int):
    def cb(runner, row):
        if row["generation"] == generation:
            raise Crash
    return cb


def timeless(rows):
    return [{k: v for k, v in r.items() if k != "elapsed"} for r in rows]


def summary(folder):
    s = read_json(folder / "summary.json")
    return {k: v for k, v in s.items() if k not in ("elapsed", "wall_time")}


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    prep = runs.prepare(config.experiment(DOC))
    root = tmp_path_factory.mktemp("whole")
    runs.start(prep, root, "run")
    return root / "run"


def crashed(tmp_path, doc=DOC, at=7):
    prep = runs.prepare(config.experiment(doc))
    with pytest.raises(Crash):
        runs.start(prep, tmp_path, "run", progress=crash_at(at))
    return tmp_path / "run"


def assert_same_run(a, b):
    assert np.array_equal(np.load(a / "best.npy"), np.load(b / "best.npy"))
    assert timeless(read_metrics(a / "metrics.csv")) == timeless(read_metrics(b / "metrics.csv"))
    assert summary(a) == summary(b)


def test_the_last_two_are_kept_each_with_its_checksum(tmp_path):
    folder = crashed(tmp_path)
    ck = folder / "checkpoints"
    assert sorted(p.name for p in ck.iterdir()) == ["gen-000004.json", "gen-000004.npz",
                                                    "gen-000006.json", "gen-000006.npz"]
    found = checkpoints.load(ck, 6)
    assert read_json(ck / "gen-000006.json")["checksum"] == checkpoints.checksum(found.arrays, found.meta)


def test_keep_checkpoints_is_a_run_setting(tmp_path):
    doc = {**DOC, "run": {"checkpoint_every": 1, "keep_checkpoints": 3}}
    folder = crashed(tmp_path, doc)
    assert checkpoints.generations(folder / "checkpoints") == [5, 6, 7]
    with pytest.raises(ValueError, match="run.keep_checkpoints must be >= 1, got 0"):
        config.experiment({**DOC, "run": {"keep_checkpoints": 0}})


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(path):
    raw = bytearray(path.read_bytes())
    for i in range(len(raw) // 3, len(raw) // 3 + 8):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


def _other_arrays(path):
    """A well-formed .npz whose arrays are not the ones the checksum was taken of."""
    with np.load(path) as f:
        arrays = {k: f[k].copy() for k in f.files}
    arrays["best_x"][0] += 1.0
    path.write_bytes(npz_bytes(arrays))


def _other_state(path):
    """Valid JSON whose state is not the one the checksum was taken of (one digit changed)."""
    doc = read_json(path)
    doc["state"]["progress"]["evaluations"] += 1
    path.write_text(json.dumps(doc))


def _empty(path):
    path.write_bytes(b"")


DAMAGE = {"truncated-npz": ("npz", _truncate), "truncated-json": ("json", _truncate),
          "flipped-npz": ("npz", _flip), "flipped-json": ("json", _flip), "other-arrays": ("npz", _other_arrays),
          "other-state": ("json", _other_state),
          "empty-npz": ("npz", _empty), "missing-npz": ("npz", lambda p: p.unlink())}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_newest_checkpoint_falls_back_and_ends_as_the_uninterrupted_run(damage, whole, tmp_path, capsys):
    folder = crashed(tmp_path)
    ext, spoil = DAMAGE[damage]
    spoil(folder / "checkpoints" / f"gen-000006.{ext}")
    assert cli.main(["resume", str(folder), "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checkpoint gen-000006 is damaged" in err[0] and "resuming from gen-000004" in err[0]
    assert f"gen-000006.{ext}" in err[0]
    assert_same_run(folder, whole)


def test_no_usable_checkpoint_is_one_line_exit_2_and_nothing_changes(tmp_path, capsys):
    folder = crashed(tmp_path)
    for g in (4, 6):
        _truncate(folder / "checkpoints" / f"gen-{g:06d}.npz")
    before = {p: (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}
    assert cli.main(["resume", str(folder), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("evornn: error: no usable checkpoint in")
    assert "gen-000004.npz" in err and "gen-000006.npz" in err
    assert {p: (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")} == before


def test_a_checkpoints_file_instead_of_the_folder(tmp_path, capsys):
    folder = crashed(tmp_path)
    ck = folder / "checkpoints"
    for p in ck.iterdir():
        p.unlink()
    ck.rmdir()
    ck.write_text("x")
    before = {p: (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}
    assert cli.main(["resume", str(folder), "--quiet"]) == 2
    assert f"{ck}: is a file, expected a folder of checkpoints" in capsys.readouterr().err
    assert {p: (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")} == before


def test_resume_from_the_older_one_then_killed_again(whole, tmp_path):
    """After a fallback the run's later checkpoints replace the damaged one, and a second
    interruption resumes from them."""
    folder = crashed(tmp_path)
    _truncate(folder / "checkpoints" / "gen-000006.npz")
    prep = runs.prepare(config.experiment(DOC))
    ck = folder / "checkpoints"
    record = runs.RunRecord.open(folder)
    generation, arrays, meta = record.latest_checkpoint(warn=lambda line: None)
    assert generation == 4
    with pytest.raises(Crash):
        runs.execute(prep, record, "ga", (arrays, meta), progress=crash_at(7))
    assert checkpoints.generations(ck) == [4, 6]
    assert checkpoints.load(ck, 6).generation == 6       # rewritten whole
    runs.resume(folder, quiet=True)
    assert_same_run(folder, whole)


def test_leftover_temporary_files_are_removed_on_resume(whole, tmp_path):
    folder = crashed(tmp_path)
    (folder / ".best.npy.abc.tmp").write_bytes(b"half")
    (folder / "checkpoints" / ".gen-000008.npz.abc.tmp").write_bytes(b"half")
    (folder / "checkpoints" / "gen-000008.npz").write_bytes(b"killed before its .json")
    runs.resume(folder, quiet=True)
    assert not [p for p in folder.rglob("*.tmp")]
    assert_same_run(folder, whole)
    assert checkpoints.generations(folder / "checkpoints") == [6, 8]
    assert os.path.getsize(folder / "checkpoints" / "gen-000008.npz") > 100
