"""One Registry type: duplicates refused, missing optional dependencies reported, a user's own
problem, optimiser, cell and architecture (tests/plugins, outside the package) used through the CLI,
and optimisers that end their runs themselves through stop()."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import evornn
from evornn.optim.registry import OPTIMISERS, get_strategy
from evornn.registry import Registry
from evornn.seeding import generator
from evornn.settings import make_config

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "tests" / "plugins"


def test_register_refuses_duplicates_and_lists_unavailable_entries():
    r = Registry("widget")
    r.register("a", len, "the first")
    with pytest.raises(ValueError, match="widget 'a' is registered already"):
        r.register("a", max)
    r.register("b", "no_such_module_xyz.widgets:make", "lazy", requires=("no_such_module_xyz",), extra="fancy")
    r.register("c", "evornn.registry:Registry")
    assert r.available() == ["a", "c"] and r.names() == ["a", "b", "c"]
    assert r.unavailable() == {"b": "needs no_such_module_xyz (pip install 'evornn[fancy]')"}
    assert r.get("c") is Registry and r.description("a") == "the first"
    with pytest.raises(ValueError, match=r"widget 'b' needs no_such_module_xyz.*evornn\[fancy\]"):
        r.get("b")
    with pytest.raises(ValueError, match="unknown widget 'z'; choose one of a, c"):
        r.get("z")
    with pytest.raises(ValueError, match="registered already"):
        OPTIMISERS.register("ga", "evornn.optim.ga:GeneticAlgorithm")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(PLUGINS)])}
    env.pop("EVORNN_CONFIGS", None)
    return subprocess.run([sys.executable, "-m", "evornn.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


def test_a_user_s_problem_optimiser_cell_and_architecture_through_the_cli(tmp_path):
    listed = _cli("list", "--plugin", "my_plugin", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for name in ("my-task", "my-opt", "my-cell", "my-net"):
        assert f"  {name} " in listed.stdout
    assert "needs-fancy" in listed.stdout and "unavailable: needs evornn_fancy_dep (pip install 'evornn[fancy]')" \
        in listed.stdout

    # the example: a built-in optimiser on a problem defined outside the package
    res = _cli("run", "cosyne", "--problem=my-task", "--set", 'run.plugins=["my_plugin"]',
               "--set", "stop.max_generations=3", "--out=out", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "evornn: cosyne on my-task (my-net," in res.stdout and "stopped: reached 3 generations" in res.stdout

    # the plugin's optimiser, with the plugin's cell as the core of a built-in architecture, from a config file
    (tmp_path / "mine.toml").write_text('[problem]\nname = "my-task"\nlength = 10\n'
                                        '[network]\narch = "stacked"\ncell = "my-cell"\nlayers = [3]\n'
                                        '[optimiser]\npopulation = 5\n[stop]\nmax_generations = 2\n'
                                        '[run]\nplugins = ["my_plugin"]\n')
    res = _cli("run", "my-opt", "--config=mine.toml", "--out=out2", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "stopped: reached 2 generations" in res.stdout and "2 generations, 10 evaluations" in res.stdout
    (folder,) = (tmp_path / "out2").iterdir()
    cfg = tomllib.loads((folder / "config.toml").read_text())
    assert cfg["run"]["plugins"] == ["my_plugin"] and cfg["network"]["cell"] == "my-cell"

    # a name the plugin would register is unknown without it: one line, exit 2
    res = _cli("run", "my-opt", "--problem=my-task", "--out=out3", cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "unknown problem 'my-task'" in res.stderr
    res = _cli("run", "ga", "--problem=pole-balance", "--set", 'run.plugins=["not_a_module_xyz"]', "--out=out3",
               cwd=tmp_path)
    assert res.returncode == 2 and "run.plugins: cannot import 'not_a_module_xyz'" in res.stderr
    assert not (tmp_path / "out3").exists()


# -- optimisers that end their runs -----------------------------------------------------------------
def test_esn_ridge_ends_its_run_after_one_generation_through_stop():
    res = evornn.optimise("esn-ridge", "parity", "esn", net={"n_hidden": 12},
                          problem_params={"length": 5, "n_train": 16, "n_test": 16},
                          stop={"max_generations": 50}, seed=0)
    assert res.progress.generation == 1
    assert [r.criterion for r in res.stop_reasons] == ["esn-ridge"] and not res.stop_reasons[0].success


def test_cmaes_without_restarts_ends_when_pycma_stops():
    cls = get_strategy("cmaes")
    s = cls(2, make_config(cls.Config, {"restarts": "none", "population": 6, "x0": "zero"}, "cmaes"),
            generator(1), lambda rng, k: np.zeros((k, 2)))
    for generation in range(5000):
        X = s.ask()
        s.tell(X, -np.sum((X - 0.5) ** 2, axis=1))
        if s.stop():
            break
    reasons = s.stop()
    assert reasons and all(r.criterion.startswith("cmaes.") for r in reasons) and generation < 4999
    ipop = cls(2, make_config(cls.Config, {"population": 6, "x0": "zero"}, "cmaes"), generator(1),
               lambda rng, k: np.zeros((k, 2)))
    for _ in range(generation + 20):
        X = ipop.ask()
        ipop.tell(X, -np.sum((X - 0.5) ** 2, axis=1))
    assert ipop.stop() == [] and ipop.info()["restarts"] >= 1      # with restarts it keeps going


@pytest.mark.parametrize("name", [n for n in OPTIMISERS.available() if n not in ("esn-ridge", "cmaes", "storage-rule")])
def test_other_optimisers_do_not_stop_runs_themselves(name):
    cls = get_strategy(name)
    assert cls.stop is evornn.optim.Strategy.stop or name in ("bptt", "rtrl", "dekf")


def test_entry_points_register_once_per_process(monkeypatch):
    import importlib.metadata

    from evornn import registry
    calls = []
    ep = importlib.metadata.EntryPoint("mine", "test_registry:_register_by_entry_point", "evornn.problems")
    monkeypatch.setattr(registry.importlib.metadata, "entry_points",
                        lambda group: [ep] if group == "evornn.problems" else [])
    monkeypatch.setattr(registry, "_LOADED", set())
    monkeypatch.setattr(sys.modules[__name__], "_CALLS", calls, raising=False)
    registry.load_plugins()
    registry.load_plugins()
    assert calls == ["called"]
    bad = importlib.metadata.EntryPoint("broken", "no_such_module_xyz:f", "evornn.problems")
    monkeypatch.setattr(registry.importlib.metadata, "entry_points",
                        lambda group: [bad] if group == "evornn.problems" else [])
    monkeypatch.setattr(registry, "_LOADED", set())
    with pytest.raises(ValueError, match="plugin broken .* cannot be loaded"):
        registry.load_plugins()


def _register_by_entry_point():
    _CALLS.append("called")   # noqa: F821 (set by the test)


def test_an_unknown_option_names_what_the_architecture_and_its_cell_take():
    from evornn.nets import registry
    """A single-core architecture's options include its cell's: a wrong one names both, one line."""
    with pytest.raises(ValueError, match=r"^elman: unknown option 'bogus'; allowed: n_hidden, .*readout, bias$"):
        registry.build("elman", 2, 1, bogus=1)
    with pytest.raises(ValueError, match=r"^lstm: unknown option 'peepholes'; allowed: .*peephole, "):
        registry.build("lstm", 2, 1, peepholes=True)
    with pytest.raises(ValueError, match=r"^gru: unknown option 'bias'; the gru cell takes no options$"):
        registry.build("stacked", 2, 1, cell="gru", bias=False)
    assert registry.takes_option("elman", "bias") and not registry.takes_option("elman", "bogus")
    assert not registry.takes_option("narx", "out_act")          # set from output_activation, not an option
    assert registry.build("elman", 2, 1, n_hidden=3, bias=False).n_params < registry.build("elman", 2, 1, n_hidden=3).n_params
