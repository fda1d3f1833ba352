"""Property-based: configs with wrong types, NaN/Inf, negative and huge values and unknown keys in
every section (problem, network, optimiser, stop, run, compare) end with exit code 2, one line on
stderr, no traceback and nothing written.

"Huge" means beyond what the setting can hold (integers outside 64 bits, 1e999 = inf); a large but
representable size (a population of 10**12) is a resource question, not a settings error."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evornn import cli

# section -> key -> (kind, negative is invalid); the run is ga on pole-balance with an elman network
KEYS = {
    "problem": {"poles": ("int", True), "velocities": ("bool", False), "fitness": ("str", False),
                "start_angle": ("float", False), "friction": ("bool", False), "max_steps": ("int", True),
                "min_force": ("float", True), "test_steps": ("int", True), "bias_input": ("float", True)},
    "network": {"n_hidden": ("int", True), "output_activation": ("str", False), "dtype": ("str", False),
                "engine": ("str", False)},
    "optimiser": {"population": ("int", True), "elite": ("int", True), "selection": ("str", False),
                  "selection_args": ("dict", False), "crossover_prob": ("float", True),
                  "mutation_prob": ("float", True), "init": ("str", False), "init_range": ("float", True),
                  "reevaluate_elite": ("bool", False), "vectorised": ("bool", False)},
    "stop": {"max_generations": ("int", True), "max_evaluations": ("int", True), "at_most": ("dict", False),
             "at_least": ("dict", False), "target_fitness": ("float", False), "solved": ("bool", False),
             "stagnation": ("int", True), "wall_clock": ("float", True)},
    "run": {"seed": ("int", True), "backend": ("str", False), "workers": ("int", True), "out": ("str", False),
            "checkpoint_every": ("int", True), "log_every": ("int", True), "plugins": ("list", False)},
    "compare": {"name": ("str", False), "seeds": ("list", True)},
}
WRONG = {"int": ["abc", 1.5, True, [1], {"a": 1}], "float": ["abc", True, [1.0], {"a": 1.0}],
         "str": [5, 1.5, True, [1], {"a": "b"}], "bool": [1, "yes", 0.5, [True]],
         "dict": [5, "x", [1], 1.5], "list": ["x", 1.5, {"a": 1}, True]}
NONFINITE = [math.nan, math.inf, -math.inf]
HUGE = [2 ** 63, -(2 ** 63) - 1, 10 ** 30]
COMPARE = """[compare]
seeds = [0, 1]
[problem]
name = "pole-balance"
poles = 1
[network]
arch = "elman"
n_hidden = 2
[stop]
max_generations = 2
[[optimisers]]
name = "ga"
population = 10
[[optimisers]]
name = "rwg"
"""


def toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml(x) for x in v) + "]"
    return "{ " + ", ".join(f"{k} = {toml(x)}" for k, x in v.items()) + " }"


@st.composite
def bad_setting(draw):
    section = draw(st.sampled_from(sorted(KEYS)))
    key = draw(st.sampled_from(sorted(KEYS[section])))
    kind, negative_invalid = KEYS[section][key]
    how = draw(st.sampled_from(["wrong type", "non-finite", "huge", "negative", "unknown key"]))
    if how == "unknown key":
        key = draw(st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True).filter(lambda k: k not in KEYS[section]))
        return section, key, draw(st.sampled_from([1, 1.5, "x", True]))
    if how == "non-finite" and kind in ("float", "dict", "list"):
        x = draw(st.sampled_from(NONFINITE))
        return section, key, ({"mse": x} if kind == "dict" else [x] if kind == "list" else x)
    if how == "huge" and kind in ("int", "list"):
        x = draw(st.sampled_from(HUGE))
        return section, key, [x] if kind == "list" else x
    if how == "negative" and negative_invalid:
        if kind == "list":
            return section, key, [draw(st.integers(-10 ** 6, -1))]
        if kind == "int":
            return section, key, draw(st.integers(-10 ** 6, -1))
        return section, key, draw(st.floats(-1e6, -1e-3))
    return section, key, draw(st.sampled_from(WRONG[kind]))


def files_in(path: Path) -> set[Path]:
    return set(path.rglob("*"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=bad_setting())
def test_every_bad_setting_is_one_line_exit_2_and_writes_nothing(bad, tmp_path, monkeypatch, capsys):
    section, key, value = bad
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compare.toml").write_text(COMPARE)
    before = files_in(tmp_path)
    item = f"{section}.{key}={toml(value)}"
    if section == "compare":
        argv = ["compare", "compare.toml", "--set", item, "--out=out"]
    else:
        argv = ["run", "ga", "--problem=pole-balance", "--arch=elman", "--set", item, "--out=out"]
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, (item, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evornn: error: ") and "Traceback" not in err, (item, err)
    assert files_in(tmp_path) == before, item


@pytest.mark.parametrize("item,says", [
    ("stop.wall_clock=nan", "stop.wall_clock must be a finite number"),
    ("stop.at_most={ mse = 1e-3 }", "stop.at_most: problem pole-balance has no metric 'mse'"),
    ("optimiser.crossover_prob=inf", "optimiser.crossover_prob must be a finite number"),
    ("problem.start_angle=-inf", "problem.start_angle must be a finite number"),
    ("network.n_hidden=9223372036854775808", "network.n_hidden must be an integer that fits in 64 bits"),
    ("run.seed=1.5", "run.seed must be int"),
])
def test_the_error_names_section_and_key(item, says, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "ga", "--problem=pole-balance", "--set", item, "--out=out"]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
