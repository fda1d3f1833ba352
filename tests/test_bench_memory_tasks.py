"""benchmarks/bench_memory_tasks.py: one CSV row per run, resuming (runs in the CSV are skipped), and
the table printed from the CSV."""
import csv
import subprocess
import sys

from bench_scripts import BENCH, ROOT, load

SCRIPT = BENCH / "bench_memory_tasks.py"


def bench():
    return load("bench_memory_tasks")


def call(*args):
    out = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, check=True)
    return out.stdout


def test_rows_resume_and_table(tmp_path):
    path = tmp_path / "runs.csv"
    base = ["--tasks", "anbn", "--archs", "lstm", "--optimisers", "cosyne", "--evaluations", "200", "--csv", str(path)]
    first = call(*base, "--seeds", "1")
    assert "1 runs to do" in first
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 1 and rows[0]["task"] == "anbn" and rows[0]["arch"] == "lstm" and rows[0]["seed"] == "0"
    assert 0 < int(rows[0]["evaluations"]) <= 200 + 40        # one generation past the budget at most
    # seed 0 again is skipped; seed 1 is added
    second = call(*base, "--seeds", "2")
    assert "1 runs to do, 1 already in" in second
    rows2 = list(csv.DictReader(path.open()))
    assert [r["seed"] for r in rows2] == ["0", "1"]
    assert rows2[0] == rows[0]
    # same seed, same result: the seed-0 run again into another CSV
    other = tmp_path / "again.csv"
    call(*base[:-1], str(other), "--seeds", "1")
    again = list(csv.DictReader(other.open()))[0]
    for k in ("acc_train", "acc_2x", "acc_5x", "train_fitness", "evaluations", "setup"):
        assert again[k] == rows[0][k]
    # another budget is another row of the table
    call(*base[:-4], "--evaluations", "100", "--csv", str(path), "--seeds", "1")
    tab = call("--table", "--csv", str(path)).strip().splitlines()
    assert len(tab) == 4
    assert tab[2].startswith("| anbn | lstm (68) | cosyne | 100 | 1 |")
    assert tab[3].startswith("| anbn | lstm (68) | cosyne | 200 | 2 |")


def test_table_means_and_ranges():
    b = bench()
    rows = [dict(task="dyck1", arch="stack-rnn", params="62", optimiser="cosyne", budget="40000", setup="s", seed=str(s),
                 acc_train=str(a), acc_2x=str(a), acc_5x=str(a / 2), solved=str(int(a == 1.0)), evaluations=str(e),
                 wall_s=str(w))
            for s, a, e, w in ((0, 1.0, 1000, 2.0), (1, 0.5, 3000, 4.0))]
    line = b.table(rows).splitlines()[2]
    assert line == ("| dyck1 | stack-rnn (62) | cosyne | 40,000 | 2 | 0.750 (0.50-1.00) | 0.750 (0.50-1.00) | "
                    "0.375 (0.25-0.50) | 1/2 | 2,000 (1,000-3,000) | 3.0 (2.0-4.0) |")


def test_neat_rows_run_the_tasks_neat_network(tmp_path):
    """--optimisers neat runs NEAT's own network of the task (neat-net on the stack tasks, neat-entm on
    the NTM tasks) and never a fixed-topology one; the other optimisers never run the NEAT networks."""
    path = tmp_path / "neat.csv"
    out = call("--tasks", "dyck1", "copy", "--optimisers", "neat", "cosyne", "--seeds", "1", "--csv", str(path),
               "--dry-run")
    runs = [line.split()[:3] for line in out.splitlines() if line.startswith("  ")]
    assert ["dyck1", "neat-net", "(280)"] in runs and ["copy", "neat-entm", "(560)"] in runs
    # dyck1: stack-rnn, elman and lstm by CoSyNE, neat-net by NEAT; copy: entm, ntm, dnc and lstm by CoSyNE,
    # neat-entm by NEAT
    assert sorted((r[0], r[1]) for r in runs) == sorted([("dyck1", "stack-rnn"), ("dyck1", "elman"), ("dyck1", "lstm"),
                                                         ("dyck1", "neat-net"), ("copy", "entm"), ("copy", "ntm"),
                                                         ("copy", "dnc"), ("copy", "lstm"), ("copy", "neat-entm")])
    call("--tasks", "dyck1", "--optimisers", "neat", "--seeds", "1", "--evaluations", "300", "--csv", str(path))
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 1 and rows[0]["arch"] == "neat-net" and rows[0]["optimiser"] == "neat"
    assert 300 <= int(rows[0]["evaluations"]) <= 300 + 300      # NEAT counts whole generations of 300
    assert '"population":300' in rows[0]["setup"]
