"""benchmarks/bench_dekf.py: method names parsed word by word (the earlier names keep their
settings), and one CSV row per run, resuming, the table printed from the CSV."""
import csv
import subprocess
import sys

import pytest

from bench_scripts import BENCH, ROOT, load

SCRIPT = BENCH / "bench_dekf.py"


def bench():
    return load("bench_dekf")


def test_method_words():
    b = bench()
    assert b.parse_method("dekf lstm-2 peephole global u0.1 q0.1 truncated") == (
        "dekf", {"arch": "lstm", "n_hidden": 2, "peephole": True},
        {"decoupling": "global", "process_noise": 0.1, "anneal": 5000.0, "jacobian": "truncated"}, {"r": 0.1})
    assert b.parse_method("bptt lstm-2 peephole shortcut u0.1") == (
        "bptt", {"arch": "lstm", "n_hidden": 2, "peephole": True, "readout_inputs": True}, {}, {"r": 0.1})
    assert b.parse_method("dekf lstm-2 shortcut global u0.1 stagger")[1] == \
        b.parse_method("dekf lstm-2 shortcut global u0.1 bi=-1:-2 bf=1:2 bo=-1:-2")[1]
    opt, net, s, r = b.parse_method("dekf lstm-3 shortcut neuron bf=20 bi=-1:-2:-3 p0=10 r=100:1 q=0.1:0 anneal=50 linear")
    assert net == {"arch": "lstm", "n_hidden": 3, "readout_inputs": True, "forget_bias": 20.0,
                   "input_bias": [-1.0, -2.0, -3.0]} and r == {"r": 0.0}
    assert s == {"decoupling": "neuron", "initial_covariance": 10.0, "measurement_noise": 100.0,
                 "measurement_noise_end": 1.0, "process_noise": 0.1, "process_noise_end": 0.0,
                 "anneal": 50.0, "schedule": "linear"}
    assert b.parse_method("dekf lstm-2 shortcut global u0.1 bf=10 fix=W_rec")[2] == {"decoupling": "global",
                                                                                   "fixed": ["W_rec"]}
    assert b.parse_method("dekf lstm-2 u0.1 ug=3")[3] == {"r": 0.1, "ug": 3.0}
    assert b.parse_method("dekf lstm-2 peephole shortcut global u0.1 g=sigmoid2 h=identity")[1] == {
        "arch": "lstm", "n_hidden": 2, "peephole": True, "readout_inputs": True, "cell_input": "sigmoid2",
        "cell_output": "identity"}
    assert b.parse_method("bptt lstm-2 g=identity h=sigmoid1")[1:3] == (
        {"arch": "lstm", "n_hidden": 2, "cell_input": "identity", "cell_output": "sigmoid1"}, {})
    for bad in ("dekf lstm-2 peephole sideways", "sgd lstm-2", "dekf lstm-2 bi=-1:-2:-3", "bptt lstm-2 truncated",
                "dekf lstm-2 g=sigmoid3", "dekf lstm-2 h=softsign", "dekf lstm-2 g=relu"):
        with pytest.raises(ValueError):
            b.parse_method(bad)


def test_rows_resume_and_table(tmp_path):
    path = tmp_path / "runs.csv"
    args = [sys.executable, str(SCRIPT), "--seeds", "1", "--coding", "compact", "--budget", "20", "--test-n", "20",
            "--methods", "dekf lstm-1 shortcut global u0.1 bf=5", "--csv", str(path)]
    first = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=True)
    rows = list(csv.DictReader(open(path)))
    assert len(rows) == 1 and rows[0]["method"] == "dekf lstm-1 shortcut global u0.1 bf=5" and rows[0]["seed"] == "0"
    assert int(rows[0]["sequences"]) <= 20 and 0 <= int(rows[0]["max_n"]) <= 20
    again = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=True)
    assert "1 of 1 runs already" in again.stderr and len(list(csv.DictReader(open(path)))) == 1
    assert again.stdout == first.stdout
    table = subprocess.run(args[:2] + ["--csv", str(path), "--table"], capture_output=True, text=True, cwd=ROOT,
                           check=True).stdout
    assert "dekf lstm-1 shortcut global u0.1 bf=5" in table and "1 (0-0)" in table and "training strings right" in table
