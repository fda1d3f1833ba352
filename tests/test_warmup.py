"""``evornn warmup`` (:mod:`evornn.warmup`) and a light start: heavy libraries load only where used.

The warm-ups use elman (whose kernels the other tests compile too) and bidirectional (no pole
kernel: it cannot step); the import checks run in a fresh interpreter.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import evornn
from evornn import api, cli, warmup

HEAVY = ("ray", "matplotlib", "deap", "pyswarms", "cma", "scipy.stats")


def loaded_after(code: str) -> set[str]:
    """The HEAVY modules present after running ``code`` in a new interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_warmup_cli_one_line_per_architecture(capsys):
    assert cli.main(["warmup", "elman", "bidirectional", "elman"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "evornn: warming the Numba kernels of 2 architectures (sequence, pole)"
    assert lines[1].startswith("elman: ") and lines[1].endswith(" s, run_population, sequence, pole")
    assert lines[2].startswith("bidirectional: ")
    assert lines[2].endswith(" s, run_population, sequence (pole skipped: not steppable)")
    assert lines[3].startswith("done in ") and len(lines) == 4


def test_warm_returns_seconds_per_architecture(capsys):
    out = warmup.warm(["elman"], problems=("pole",), quiet=True)
    assert [a for a, _ in out] == ["elman"] and all(s >= 0.0 for _, s in out)
    assert capsys.readouterr().out == ""
    assert warmup.warm_arch("bidirectional", ("pole",)) == []


@pytest.mark.parametrize("argv", [["warmup", "nope"], ["warmup", "elman", "nope"]])
def test_unknown_architecture_is_a_one_line_error(argv, capsys):
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"evornn: error: warmup: unknown architecture 'nope'; choose from {', '.join(evornn.ARCHS)}\n")


def test_unknown_problem_kind():
    with pytest.raises(ValueError, match="warmup: unknown problem kind 'maze'; choose from sequence, pole"):
        warmup.warm(["elman"], problems=("maze",))
    with pytest.raises(ValueError, match="no problem kind given"):
        warmup.warm(["elman"], problems=())


class Built(Exception):
    pass


@pytest.mark.parametrize("dtype", [None, "float32"])
def test_dtype_reaches_the_builder_only_when_given(dtype, monkeypatch):
    seen = []

    def fake(problem, arch, **options):
        seen.append(options)
        raise Built
    monkeypatch.setattr(api, "make_network", fake)
    with pytest.raises(Built):
        warmup.warm_arch("elman", ("sequence",), dtype=dtype)
    assert seen == [{} if dtype is None else {"dtype": dtype}]


def test_import_evornn_is_light():
    assert loaded_after("import evornn, evornn.cli") == set()


def test_list_loads_neither_pyswarms_nor_ray():
    code = "import contextlib, io\nfrom evornn.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n" \
           "    assert main(['list']) == 0"
    assert loaded_after(code) & {"ray", "matplotlib", "pyswarms", "cma"} == set()


def test_pso_topology_names_match():
    from evornn.optim import pso, pso_topology
    assert pso.TOPOLOGY_NAMES == tuple(pso_topology.TOPOLOGIES)


def test_openmp_threads_wait_passively_unless_told_otherwise():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = "import os, evornn; print(os.environ['OMP_WAIT_POLICY'])"
    run = lambda e: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                                   timeout=300).stdout.strip()
    assert run(env) == "PASSIVE"
    assert run({**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"


def test_warmup_config_fills_the_cache_for_that_config_s_runs(tmp_path):
    """``evornn warmup --config`` compiles what the config's run compiles (a Gymnasium port's kernel,
    made per environment and layout, which the architecture warm-up does not), leaves no folder."""
    pytest.importorskip("gymnasium")
    (tmp_path / "tmp").mkdir()
    env = {**{k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"},
           "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "TMPDIR": str(tmp_path / "tmp")}
    run = lambda *argv: subprocess.run([sys.executable, "-m", "evornn", *argv], capture_output=True, text=True,
                                       env=env, cwd=tmp_path, timeout=600)
    warm = run("warmup", "--config", "cosyne-gym-cartpole")
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.splitlines()[-1].startswith("cosyne-gym-cartpole: ") and "compiling" in warm.stderr
    assert list((tmp_path / "tmp").iterdir()) == []                   # its run folder is gone
    first = run("run", "cosyne", "--config", "cosyne-gym-cartpole", "--out", "runs", "--quiet")
    assert first.returncode == 0, first.stderr
    assert "compiling" not in first.stderr                             # everything came from the cache


@pytest.mark.parametrize("argv,message", [
    (["--config", "cosyne-gym-cartpole", "--config", "nope"], "config file nope not found"),
    (["elman", "--config", "cosyne-gym-cartpole"], "warmup: give architectures (and --dtype) or --config, not both"),
    (["--set", "optimiser.population=3"], "warmup: --set applies to --config only")])
def test_warmup_config_errors_come_before_any_warming(argv, message, capsys):
    assert cli.main(["warmup", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("evornn: error: ") and message in err and err.count("\n") == 1
