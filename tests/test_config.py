"""Config documents: TOML written by evornn reads back as the same values; --set parsing."""
import math
import tomllib

import pytest

from evornn import config


def test_written_toml_reads_back_identically():
    doc = {"problem": {"name": "pole-balance", "poles": 2, "velocities": True, "start_angle": 4.0,
                       "tiny": 1e-05, "huge": 1e16, "neg": -0.1},
           "network": {"arch": "stacked", "layers": [8, 8], "cell": "lstm", "note": 'a "quoted" \\ string ü'},
           "optimiser": {"name": "ga", "mutation_args": {"sigma": 0.5, "indpb": 0.2}, "selection_args": {}},
           "stop": {"max_generations": 10, "target_fitness": None, "wall_clock": math.inf},
           "optimisers": [{"name": "ga"}, {"name": "sa", "label": "sa-hot", "t0": 2.0}]}
    back = tomllib.loads(config.dumps(doc, "a header\nof two lines"))
    expected = {**doc, "stop": {"max_generations": 10, "wall_clock": math.inf}}   # None: left at its default
    assert back == expected


@pytest.mark.parametrize("raw,value", [("50", 50), ("0.5", 0.5), ("true", True), ("[8, 8]", [8, 8]),
                                       ('"x y"', "x y"), ("elman", "elman"), ("1e-3", 1e-3)])
def test_set_values_parse_as_toml_or_as_a_bare_string(raw, value):
    doc = config.apply_sets({"network": {"arch": "frnn"}}, [f"network.v={raw}"])
    assert doc["network"] == {"arch": "frnn", "v": value}


def test_stop_gets_a_budget_only_when_it_names_none():
    assert config.stop_config({}).max_generations == config.DEFAULT_MAX_GENERATIONS
    assert config.stop_config({"max_evaluations": 500}).max_generations == 0
