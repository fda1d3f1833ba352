"""Every file the command line reads, damaged: one line naming the path and what is wrong, exit 2,
no traceback, and (for resume) nothing in the folder changed. The files come from a short real run."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from evornn import cli, config, runs
from evornn.problems.registry import make_problem

DOC = {"problem": {"name": "pole-balance", "poles": 1, "max_steps": 300},
       "network": {"arch": "frnn", "n_hidden": 1},
       "optimiser": {"name": "ga", "population": 10},
       "stop": {"max_generations": 6, "solved": False}, "run": {"checkpoint_every": 2}}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("real")
    runs.start(runs.prepare(config.experiment(DOC)), root, "run")
    return root / "run"


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _truncated(p: Path) -> None:
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2 + 3])    # + 3: inside a value rather than at a line's end


def _binary(p: Path) -> None:
    p.write_bytes(bytes(range(256)) * 4)


def _folder(p: Path) -> None:
    p.unlink()
    p.mkdir()
    (p / "inside").write_text("x")


def _wrong_kind(p: Path) -> None:
    if p.suffix == ".json":
        p.write_text("[1, 2, 3]\n")
    elif p.suffix == ".npy":
        np.save(p, np.arange(6).reshape(2, 3))
    elif p.suffix == ".csv":
        p.write_text("generation,best\n1,high\n")
    else:                                     # TOML given JSON
        p.write_text('{"problem": {"name": "pole-balance"}}\n')


DAMAGES = {"empty": _empty, "truncated": _truncated, "binary": _binary, "folder": _folder, "wrong-kind": _wrong_kind}
# which command reads which file (resume: on the run without its summary.json, as if killed)
READERS = {"config.toml": ("show", "resume", "report"), "summary.json": ("show", "report"),
           "environment.json": ("resume",), "metrics.csv": ("resume", "report"),
           "best.npy": ("show",), "network.json": ("show",)}
# a row cut short is what a killed run leaves: it is dropped, not an error
TOLERATED = {("metrics.csv", "truncated"), ("metrics.csv", "empty")}
CASES = [(f, d, c) for f, cmds in READERS.items() for d in DAMAGES for c in cmds if (f, d) not in TOLERATED]


def snapshot(folder: Path) -> dict:
    return {p: (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evornn: error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize("name,damage,command", CASES, ids=[f"{c}-{f}-{d}" for f, d, c in CASES])
def test_a_damaged_file_is_one_line_naming_it_and_exit_2(name, damage, command, finished, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    if command == "resume":
        (folder / "summary.json").unlink()
    DAMAGES[damage](folder / name)
    before = snapshot(folder)
    args = [command, str(folder)] + (["--quiet"] if command == "resume" else [])
    assert cli.main(args) == 2
    line = one_error_line(capsys)
    assert str(folder / name) in line, line
    assert snapshot(folder) == before


def test_folders_given_as_files_and_files_as_folders(finished, tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    for args in (["show", str(tmp_path / "a-file")], ["resume", str(tmp_path / "a-file")],
                 ["report", str(tmp_path / "a-file")]):
        assert cli.main(args) == 2
        assert "is a file, expected a folder" in one_error_line(capsys)
    (tmp_path / "a-folder.toml").mkdir()
    assert cli.main(["run", "ga", "--config", str(tmp_path / "a-folder.toml"), "--out", str(tmp_path / "o")]) == 2
    assert f"{tmp_path / 'a-folder.toml'}: is a folder, expected a file" in one_error_line(capsys)
    (tmp_path / "empty.toml").write_bytes(b"")
    assert cli.main(["run", "ga", "--config", str(tmp_path / "empty.toml"), "--out", str(tmp_path / "o")]) == 2
    assert f"{tmp_path / 'empty.toml'}: empty" in one_error_line(capsys)
    assert not (tmp_path / "o").exists()


def test_an_empty_folder_is_not_a_run_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert cli.main(["resume", str(tmp_path / "empty")]) == 2
    assert "is an empty folder, not a run folder" in one_error_line(capsys)


def test_show_on_a_comparison_folder_points_at_its_runs(finished, tmp_path, capsys):
    comp = tmp_path / "compare-x"
    (comp / "runs").mkdir(parents=True)
    (comp / "compare.toml").write_text("[compare]\n")
    assert cli.main(["show", str(comp)]) == 2
    assert "is a comparison folder" in one_error_line(capsys)
    shutil.copytree(finished, comp / "runs" / "ga-seed0")
    assert cli.main(["show", str(comp)]) == 2
    line = one_error_line(capsys)
    assert f"its runs are in {comp / 'runs'}" in line and f"evornn show {comp / 'runs' / 'ga-seed0'}" in line


def test_a_summary_without_its_fields(finished, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    (folder / "summary.json").write_text('{"label": "ga"}\n')
    assert cli.main(["show", str(folder), "--no-eval"]) == 2
    assert f"{folder / 'summary.json'}: not a run summary" in one_error_line(capsys)


def test_a_network_json_that_does_not_build(finished, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    (folder / "network.json").write_text('{"arch": "frnn", "bogus": 1}\n')
    assert cli.main(["show", str(folder)]) == 2
    assert f"{folder / 'network.json'}: not a network evornn can build" in one_error_line(capsys)


@pytest.mark.parametrize("damage", ["empty", "binary", "folder", "nul"])
def test_a_damaged_csv_of_the_timeseries_problem(damage, tmp_path):
    p = tmp_path / "prices.csv"
    p.write_text("price\n" + "".join(f"{np.sin(i / 5):.4f}\n" for i in range(80)))
    if damage == "nul":
        p.write_bytes(b"price\n1.0\n\x00\x002.0\n")
    else:
        DAMAGES[damage](p)
    with pytest.raises(ValueError) as e:
        make_problem("timeseries", path=str(p), column="price")
    msg = str(e.value)
    assert str(p) in msg and "\n" not in msg and msg.startswith("problem timeseries: ")
