"""The command line end to end: run, show, resume after SIGKILL, compare, report, list, bad input.

Runs go through ``python -m evornn.cli`` in a subprocess; the many bad-input cases and the
per-optimiser resume check also call :func:`evornn.cli.main` and :mod:`evornn.runs` in-process to
stay fast. Every run uses pole balancing with a fully recurrent network (one compile per session).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

import evornn
from evornn import cli, config, runs
from evornn.optim import registry as optims
from evornn.problems import registry as problems
from evornn.records import read_json, read_metrics
from evornn.report import fmt, fmt_time

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "EVORNN_CONFIGS": str(REPO / "configs")}
# single pole, 1,000 steps, one recurrent unit: fast episodes
QUICK = ["--set", "problem.poles=1", "--set", "problem.max_steps=1000", "--set", "network.n_hidden=1"]


def evornn_cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evornn.cli", *args], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=timeout)


def run_folder(out: Path) -> Path:
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def timeless(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "elapsed"} for r in rows]


def files_in(path: Path) -> set[Path]:
    return {p for p in path.rglob("*")}


# -- run and show ---------------------------------------------------------------------------------
def test_default_ga_run_solves_the_double_pole_and_records_everything(tmp_path):
    res = evornn_cli("run", "ga", "--problem=pole-balance", "--out=out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "solved: yes" in res.stdout and "stopped: the problem is solved" in res.stdout
    assert "first solved" not in res.stdout            # it stopped when solved: the kept network was tested
    folder = run_folder(tmp_path / "out")
    assert f"results in out/{folder.name}" in res.stdout
    names = {p.name for p in folder.iterdir()}
    assert {"config.toml", "environment.json", "metrics.csv", "best.npy", "network.json", "summary.json",
            "checkpoints"} <= names
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]

    cfg = tomllib.loads((folder / "config.toml").read_text())
    assert cfg["run"]["seed"] == 0 and cfg["optimiser"]["name"] == "ga" and cfg["problem"]["poles"] == 2
    env = read_json(folder / "environment.json")
    assert {"evornn", "numpy", "numba", "deap", "pyswarms"} <= set(env["versions"])
    summary = read_json(folder / "summary.json")
    rows = read_metrics(folder / "metrics.csv")
    assert summary["solved"] and summary["stop_reasons"][0]["criterion"] == "solved"
    assert len(rows) == summary["generations"] and rows[-1]["evaluations"] == summary["evaluations"]
    assert rows[-1]["run_best"] == summary["best_fitness"] == 100000.0

    net = evornn.build(**read_json(folder / "network.json"))
    w = np.load(folder / "best.npy")
    assert w.shape == (net.n_params,)
    shown = evornn_cli("show", str(folder), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "best network evaluated again: fitness 100000 (steps=100000)" in shown.stdout
    assert "problem's own test: solved" in shown.stdout


# -- resume after SIGKILL -------------------------------------------------------------------------
def test_resume_after_sigkill_ends_as_an_uninterrupted_run(tmp_path):
    args = ["run", "ga", "--problem=pole-balance", *QUICK, "--set", "optimiser.population=10",
            "--set", "stop.max_generations=200", "--set", "stop.solved=false", "--set", "run.checkpoint_every=1",
            "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "evornn.cli", *args, "--out=killed"], cwd=tmp_path, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob("killed/*/checkpoints/gen-00000[3-9].json")):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    folder = run_folder(tmp_path / "killed")
    assert not (folder / "summary.json").exists(), "the run ended before it could be killed"

    resumed = evornn_cli("resume", str(folder), "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    whole = evornn_cli(*args, "--out=whole", cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr
    other = run_folder(tmp_path / "whole")

    assert (folder / "best.npy").read_bytes() == (other / "best.npy").read_bytes()
    a, b = read_metrics(folder / "metrics.csv"), read_metrics(other / "metrics.csv")
    assert len(a) == 200 and timeless(a) == timeless(b)
    sa, sb = read_json(folder / "summary.json"), read_json(other / "summary.json")
    for k in ("elapsed", "wall_time"):
        sa.pop(k), sb.pop(k)
    assert sa == sb


class Crash(Exception):
    pass


def _problem_for(name: str) -> dict:
    if optims.get_strategy(name).needs == "sequence data":
        return {"name": "parity", "length": 4, "n_train": 6, "n_test": 6}
    if optims.get_strategy(name).needs == "solved readout":
        return {"name": "parity", "length": 4, "n_train": 6, "n_test": 6, "readout": "ridge"}
    if optims.get_strategy(name).needs == "stored patterns":
        return {"name": "hopfield-recall", "n_units": 12, "patterns": 2}
    return {"name": "pole-balance", "poles": 1, "max_steps": 300}


@pytest.mark.parametrize("name", optims.available())
def test_every_optimiser_resumes_bit_for_bit_from_its_checkpoint_files(name, tmp_path):
    """The optimiser's state goes through .npz + .json (not memory) and comes back exact."""
    doc = {"problem": _problem_for(name), "optimiser": {"name": name},
           "stop": {"max_generations": 6, "solved": False}, "run": {"checkpoint_every": 2}}
    last = 5                      # the generation after which the first run crashes
    if name == "esn-ridge":
        doc["network"] = {"arch": "esn", "n_hidden": 5}
    if name in ("esn-ridge", "storage-rule"):   # end their runs after one generation (stop()): crash there
        doc["run"]["checkpoint_every"], last = 1, 1
    try:
        prep = runs.prepare(config.experiment(doc))
    except ValueError as e:
        pytest.skip(f"{name} does not run on {doc['problem']['name']}: {e}")

    def crash(runner, row):
        if row["generation"] == last:
            raise Crash

    with pytest.raises(Crash):
        runs.start(prep, tmp_path / "a", "run", progress=crash)
    record, _ = runs.resume(tmp_path / "a" / "run", quiet=True)
    runs.start(prep, tmp_path / "b", "run")
    a, b = tmp_path / "a" / "run", tmp_path / "b" / "run"
    assert np.array_equal(np.load(a / "best.npy"), np.load(b / "best.npy"))
    assert timeless(read_metrics(a / "metrics.csv")) == timeless(read_metrics(b / "metrics.csv"))


# -- compare and report ---------------------------------------------------------------------------
COMPARE = """
[compare]
name = "t"
seeds = [0, 1]

[problem]
name = "pole-balance"
poles = 1
max_steps = 1000

[network]
arch = "frnn"
n_hidden = 1
output_activation = "sigmoid"

[stop]
max_generations = 8

[run]
checkpoint_every = 4

[[optimisers]]
name = "ga"
population = 10

[[optimisers]]
name = "rwg"
label = "random"
population = 10
"""


def _table(md: str, title: str) -> list[list[str]]:
    block = md.split(f"## {title}\n", 1)[1].split("\n\n", 1)[0].strip().splitlines()
    return [[c.strip() for c in line.strip("|").split("|")] for line in block[2:]]


def test_compare_records_every_run_and_its_report_matches_the_metrics(tmp_path):
    (tmp_path / "cmp.toml").write_text(COMPARE)
    res = evornn_cli("compare", "cmp.toml", "--out=out", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    (folder,) = (tmp_path / "out").glob("compare-t-*")
    assert sorted(p.name for p in (folder / "runs").iterdir()) == ["ga-seed0", "ga-seed1", "random-seed0",
                                                                    "random-seed1"]
    assert len(re.findall(r"^\[(ga|random)-seed\d\] ", res.stdout, re.M)) == 4
    for name in ("report.md", "report.html", "fitness.png", "outcomes.png", "compare.toml"):
        assert (folder / name).is_file()
    assert (folder / "fitness.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (folder / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 2 and page.count("src=") == 2

    md = (folder / "report.md").read_text()
    rows = _table(md, "Runs")
    assert len(rows) == 4
    for run, label, seed, gens, evals, best, solved, stop, secs in rows:
        metrics = read_metrics(folder / run / "metrics.csv")
        last = metrics[-1]
        assert (gens, evals, best, secs) == (fmt(last["generation"]), fmt(last["evaluations"]),
                                             fmt(last["run_best"]), fmt_time(last["elapsed"]))
        summary = read_json(folder / run / "summary.json")
        assert (label, int(seed)) == (summary["label"], summary["seed"])
        assert stop == ", ".join(r["criterion"] for r in summary["stop_reasons"])
        assert solved == fmt(summary["solved"])
    for label, n, n_solved, *_ in _table(md, "Optimisers"):
        summaries = [read_json(p / "summary.json") for p in (folder / "runs").glob(f"{label}-seed*")]
        assert int(n) == len(summaries) == 2 and int(n_solved) == sum(s["solved"] for s in summaries)

    again = evornn_cli("report", str(folder), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (folder / "report.md").read_text() == md


# -- list and configs -----------------------------------------------------------------------------
def test_list_names_every_registered_piece_with_a_description(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    names = [*evornn.ARCHS, *problems.available(), *optims.available(), *config.StopConfig.__dataclass_fields__]
    for name in names:
        assert re.search(rf"^  {re.escape(name)} +\S", out, re.M), name


def test_summary_says_whose_test_it_reports_when_the_run_went_on_after_solving():
    """With stop.solved = false the test in the summary is of the network that first solved, not
    necessarily of the network kept: the line says so; a run that stopped when solved says nothing more."""
    from evornn.stopping import Progress, StopConfig, check
    budget = [r.as_dict() for r in check(StopConfig(max_evaluations=20000, solved=False),
                                         Progress(evaluations=20000, solved=True))]
    solved = [r.as_dict() for r in check(StopConfig(max_evaluations=20000), Progress(evaluations=110, solved=True))]
    assert budget and solved
    s = {"stop_reason": "used 20000 evaluations", "generations": 2000, "evaluations": 20000, "test_episodes": 0,
         "elapsed": 1.0, "wall_time": 1.0, "best_fitness": 3.0, "best_metrics": {}, "solved": True,
         "solved_info": {"test_max_n": 56.0}, "evaluations_to_solve": 110, "stop_reasons": budget}
    went_on = runs.summary_lines(s)[-1]
    assert went_on.startswith("solved: yes (test_max_n=56.0): the network that first solved, after 110 evaluations")
    assert "evornn show" in went_on
    stopped = runs.summary_lines({**s, "evaluations": 110, "stop_reasons": solved})[-1]
    assert stopped == "solved: yes (test_max_n=56.0)"


def test_summary_carries_the_optimisers_own_facts(tmp_path, capsys):
    """CoSyNE's restarts (here after every generation without improvement) reach summary.json."""
    args = ["run", "cosyne", "--problem=pole-balance", "--set", "problem.poles=1", "--set", "problem.max_steps=1000",
            "--set", "optimiser.population=8", "--set", "optimiser.restart_after=1", "--set", "stop.max_generations=8",
            "--set", "stop.solved=false", f"--out={tmp_path}"]
    assert cli.main(args) == 0
    summary = read_json(run_folder(tmp_path) / "summary.json")
    rows = read_metrics(run_folder(tmp_path) / "metrics.csv")
    assert summary["optimiser_info"]["restarts"] >= 1
    assert len(rows) == 8 and summary["generations"] == 8


def test_list_options_shows_every_problem_setting(capsys):
    assert cli.main(["list", "--options"]) == 0         # problems that need a data file included
    out = capsys.readouterr().out
    assert "bias_input=1.0" in out and "weight_limit=0.0" in out
    assert re.search(r"^ +settings: no defaults: .*path=", out, re.M)


@pytest.mark.parametrize("path", sorted(p.relative_to(REPO) for p in (REPO / "configs").rglob("*.toml")),
                         ids=str)
def test_every_config_file_resolves(path, monkeypatch):
    monkeypatch.chdir(REPO)          # configs name data files relative to the repository
    doc = config.load_toml(path)
    if path.name.startswith("compare-"):
        from evornn.compare import load
        assert load(doc, str(path)).entries
    else:
        doc.setdefault("optimiser", {"name": "rwg"})
        assert runs.prepare(config.experiment(doc, str(path))).net.n_params > 0


# -- bad input: one line, exit code 2, nothing written ----------------------------------------------
BAD = [
    (["run", "ga", "--problem=pole-balance", "--set", "optimiser.population=-5"], "optimiser.population"),
    (["run", "ga", "--problem=pole-balance", "--set", "optimiser.population=abc"], "optimiser.population must be int"),
    (["run", "ga", "--problem=pole-balance", "--set", "optimiser.mutation=nonsense"], "unknown operator"),
    (["run", "ga", "--problem=pole-balance", "--set", "optimiser.bogus=1"], "unknown setting 'bogus'"),
    (["run", "nope", "--problem=pole-balance"], "optimiser.name"),
    (["run", "ga", "--problem=nope"], "problem.name"),
    (["run", "ga", "--problem=pole-balance", "--arch=nope"], "network.arch: unknown architecture"),
    (["run", "ga", "--problem=pole-balance", "--set", "network.n_hidden=abc"], "network.n_hidden"),
    (["run", "ga", "--problem=pole-balance", "--set", "network.n_hidden=0"], "n_hidden"),
    (["run", "ga", "--problem=pole-balance", "--set", "problem.poles=3"], "poles"),
    (["run", "ga", "--problem=parity", "--set", "problem.length=abc"], "problem.length"),
    (["run", "ga", "--problem=pole-balance", "--set", "stop.max_generations=-1"], "stop.max_generations"),
    (["run", "ga", "--problem=pole-balance", "--set", "stop.target_fitness=high"], "target_fitness"),
    (["run", "ga", "--problem=pole-balance", "--set", "stop.bogus=1"], "unknown setting 'bogus'"),
    (["run", "ga", "--problem=pole-balance", "--set", "run.seed=-1"], "run.seed"),
    (["run", "ga", "--problem=pole-balance", "--set", "run.checkpoint_every=-1"], "run.checkpoint_every"),
    (["run", "ga", "--problem=pole-balance", "--ray-address=auto"], "run.ray_address needs backend = ray"),
    (["run", "ga", "--problem=pole-balance", "--workers=4096"], "run.workers"),
    (["run", "ga", "--problem=pole-balance", "--seed=abc"], "--seed"),
    (["run", "ga", "--problem=pole-balance", "--set", "nodot"], "section.key=value"),
    (["run", "ga", "--problem=pole-balance", "--set", "bogus.key=1"], "unknown section 'bogus'"),
    (["run", "ga"], "--problem"),
    (["run", "ga", "--config=missing.toml"], "missing.toml"),
    (["run", "ga", "--config=syntax.toml"], "syntax.toml"),
    (["run", "ga", "--config=section.toml"], "unknown section [bogus]"),
    (["run", "sa", "--config=ga.toml"], "optimiser.name"),
    (["run", "bptt", "--problem=pole-balance"], "bptt"),
    (["compare", "ga.toml"], "unknown section [optimiser]"),
    (["compare", "badseeds.toml"], "compare.seeds"),
    (["frobnicate"], "invalid choice"),
    (["resume", "nowhere"], "nowhere"),
    (["show", "."], "not a run folder"),
    (["report", "."], "no runs"),
]


@pytest.fixture
def bad_files(tmp_path: Path) -> Path:
    (tmp_path / "syntax.toml").write_text("this is = not [toml\n")
    (tmp_path / "section.toml").write_text('[problem]\nname = "pole-balance"\n[bogus]\nx = 1\n')
    (tmp_path / "ga.toml").write_text((REPO / "configs" / "ga-pole-balance.toml").read_text())
    (tmp_path / "badseeds.toml").write_text(COMPARE.replace("seeds = [0, 1]", "seeds = [0, -1]"))
    return tmp_path


@pytest.mark.parametrize("args,says", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(args, says, bad_files, monkeypatch, capsys):
    monkeypatch.chdir(bad_files)
    monkeypatch.setenv("EVORNN_CONFIGS", str(REPO / "configs"))
    before = files_in(bad_files)
    assert cli.main([*args, "--out=out"] if args[0] in ("run", "compare") else args) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evornn: error: ") and says in lines[0], captured.err
    assert captured.out == ""
    assert files_in(bad_files) == before


@pytest.mark.parametrize("args,says", [BAD[0], BAD[18], BAD[24]], ids=["population", "seed", "toml"])
def test_bad_input_through_the_console(args, says, bad_files):
    before = files_in(bad_files)
    res = evornn_cli(*args, "--out=out", cwd=bad_files)
    assert res.returncode == 2 and res.stdout == ""
    assert len(res.stderr.splitlines()) == 1 and says in res.stderr and "Traceback" not in res.stderr
    assert files_in(bad_files) == before
