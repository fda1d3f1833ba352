"""benchmarks/bench_dekf.py: method names parsed word by word (the earlier names keep their
settings), and one CSV row per run, resuming, the table printed from the CSV."""
import csv
import subprocess
import sys

import numpy as np
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


def test_tracking_keeps_the_furthest_tested_network():
    """--test-every: the largest n of the starting weights and of the weights after every tested
    epoch, the first presentation count where it was reached, recomputed here with a runner of our
    own (same seed, same weights) and the problem's own max_n on all the test strings."""
    import evornn
    from evornn.nets import build
    from evornn.problems.registry import make_problem
    b = bench()
    b.CODING["coding"] = "compact"
    method, seed, budget, test_n, every = "dekf lstm-2 shortcut global u0.1 bf=10 bo=2 g=sigmoid2", 3, 300, 120, 20
    max_n, solved, seq, _, tracked, at = b.run(method, seed, budget, test_n, 0, every)
    assert seq == budget
    opt, net, settings, init = b.parse_method(method)
    net.pop("arch")
    problem = b.small_init(make_problem("anbncn", target_n=10, test_max_n=100, coding="compact"), init["r"])
    test = make_problem("anbncn", test_max_n=test_n, coding="compact")
    netw = build("lstm", test.n_inputs, test.n_outputs, **net, output_activation="sigmoid")

    def n_of(w):
        return int(test.evaluate_test(netw, w[None]).metrics[0, test.metric_names.index("max_n")])

    seen = []
    runner = evornn.make_runner(opt, problem, "lstm", net={**net, "output_activation": "sigmoid"}, settings=settings,
                                stop={"max_evaluations": budget, "solved": False}, seed=seed,
                                callbacks=(lambda r, row: seen.append((row["evaluations"], r.strategy.w.copy())),))
    seen.append((0, runner.strategy.w.copy()))
    runner.run()
    tested = [(n_of(w), ev) for ev, w in sorted(seen, key=lambda x: x[0]) if ev % every == 0]
    assert len(tested) == budget // every + 1
    best = max(n for n, _ in tested)
    assert (tracked, at) == (best, next(ev for n, ev in tested if n == best))
    assert 0 <= max_n <= tracked <= test_n and len({n for n, _ in tested}) > 3   # the test strings tell them apart
    assert tracked > 50       # past the first tier of the test (n <= 50)


def test_tracked_rows_and_table(tmp_path):
    path = tmp_path / "tracked.csv"
    args = [sys.executable, str(SCRIPT), "--seeds", "1", "--coding", "compact", "--budget", "40", "--test-n", "20",
            "--target-n", "0", "--test-every", "20", "--methods", "dekf lstm-1 shortcut global u0.1 bf=5",
            "--csv", str(path)]
    subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=True)
    rows = list(csv.DictReader(open(path)))
    assert len(rows) == 1 and rows[0]["test_every"] == "20" and 0 <= int(rows[0]["tracked_n"]) <= 20
    assert int(rows[0]["tracked_at"]) in (0, 20, 40) and int(rows[0]["max_n"]) <= int(rows[0]["tracked_n"])
    table = subprocess.run(args + ["--table"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "largest n of any tested network" in table and "| 20 |" in table
    # --table alone reads the tracked file as such (its columns say so), whatever --methods holds
    alone = subprocess.run([sys.executable, str(SCRIPT), "--csv", str(path), "--table"], capture_output=True,
                           text=True, cwd=ROOT, check=True).stdout
    assert alone == table
    bad = subprocess.run(args[:-4] + ["--methods", "cmaes lstm-1"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and "--test-every" in bad.stderr


def test_tracker_schedule_and_ties(monkeypatch):
    """Tracker alone, max_n scripted: the starting weights tested, then the first epoch at or past
    every multiple of ``every``; a tie keeps the first network that reached the largest n."""
    from types import SimpleNamespace
    b = bench()
    script = iter([2, 5, 3, 5, 7, 7, 1])
    calls = []

    def fake(w, netw, test_n):
        calls.append(float(w[0]))
        return next(script)     # noqa: B023 (the script the test sets last)
    monkeypatch.setattr(b, "max_n_of", fake)
    tr = b.Tracker(None, 100, 20)
    runner = SimpleNamespace(strategy=SimpleNamespace(w=np.array([0.0])))
    tr.start(runner)
    for ev in range(10, 140, 10):
        runner.strategy.w = np.array([float(ev)])
        tr(runner, {"evaluations": ev})
    assert calls == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0, 120.0]
    assert (tr.best_n, tr.best_at, float(tr.best_w[0])) == (7, 80, 80.0)
    script = iter([0, 0, 0])
    tr = b.Tracker(None, 100, 25, per_eval=10)              # evolution's count: 10 presentations an evaluation
    tr.start(runner)
    tr(runner, {"evaluations": 2})
    tr(runner, {"evaluations": 3})
    assert tr.next == 50


def test_max_n_in_tiers_equals_all_at_once():
    """max_n_of (n <= 50 first, then 100, ..., test_n) equals the problem's max_n on every test
    string at once, below, at and past the first tiers."""
    import evornn
    from evornn.nets import build
    from evornn.problems.registry import make_problem
    b = bench()
    b.CODING["coding"] = "compact"
    method = "dekf lstm-2 shortcut global u0.1 bf=10 bo=2 g=sigmoid2"
    _, net, settings, init = b.parse_method(method)
    net.pop("arch")
    problem = b.small_init(make_problem("anbncn", target_n=10, test_max_n=100, coding="compact"), init["r"])
    res = evornn.optimise("dekf", problem, "lstm", net={**net, "output_activation": "sigmoid"}, settings=settings,
                          stop={"max_evaluations": 300, "solved": False}, seed=3)
    w0 = problem.initial(build("lstm", 4, 4, **net, output_activation="sigmoid"), np.random.default_rng(0))
    for test_n in (20, 60, 120):
        test = make_problem("anbncn", test_max_n=test_n, coding="compact")
        netw = build("lstm", test.n_inputs, test.n_outputs, **net, output_activation="sigmoid")
        for w in (res.best_chromosome, w0):
            full = int(test.evaluate_test(netw, w[None]).metrics[0, test.metric_names.index("max_n")])
            assert b.max_n_of(w, netw, test_n) == full
    assert b.max_n_of(res.best_chromosome, netw, 60) == 60 and b.max_n_of(res.best_chromosome, netw, 120) > 60
