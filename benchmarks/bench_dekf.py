"""DEKF against BPTT and evolution (CoSyNE, CMA-ES) on the counting language a^n b^n c^n (issue 23).

Gers, Perez-Ortiz & Schmidhuber (ICANN 2002) trained LSTM with the decoupled extended Kalman filter
on the 10 shortest strings (n <= 10) and report "values of n up to 1000 and more" (abstract);
gradient-trained LSTM (Gers & Schmidhuber 2001, IEEE TNN 12(6)) generalised much less (its exact
figure is not checked here). Here each method trains on n = 1..10 (``anbncn``: the network is reset
at the start of every string, the targets are the sets of legal next symbols, sigmoid outputs
thresholded at 0.5) until the test strings n = 1..``--target-n`` are all right ("solved") or the
budget of sequence presentations is spent. The default ``--target-n 10`` is the papers' stopping
criterion: stop as soon as the training strings are all right. The table gives the largest n
generalised (``max_n`` of the final network on the test strings n = 1..``--test-n``: every string
with n = 1..N right), median, min and max (the best run), the runs solved, and the sequences
presented until solved (evolution: evaluations x 10 strings).

The network is LSTM with forget gates, 2 memory cells (the papers' 2 blocks of 1 cell for
a^n b^n c^n), sigmoid outputs, peepholes where the name says so; "u0.1" starts every weight but
the gate biases uniform in [-0.1, 0.1] (the papers' range; evornn's default is uniform with the
fan-in scale) and the gate biases at the network's options (input 0, forget 1, output 0). DEKF:
global filter (one group) or neuron decoupling, P0 = 100 I, measurement noise R annealed 100 -> 3
and process noise Q 1e-2 -> 1e-6 (e-folding 1,000 updates), or Q from 0.1 with e-folding 5,000
updates where the name says "q0.1"; the full (RTRL) Jacobian, or the truncated LSTM gradient the
papers' LSTM used where it says "truncated". BPTT: Adam with evornn's defaults. Evolution: CoSyNE
and CMA-ES with their defaults.

``--coding compact`` gives the network 4 input and 4 output units (the papers', as far as we know) (in S a b c, out
a b c T; the default "full" codes all five symbols on both sides, two units never active);
``--dekf-settings`` (JSON) overrides settings of every DEKF method (e.g. ``'{"schedule": "linear",
"anneal": 100000}'``). "constant" holds R = 100 and Q = 1e-2 (no annealing: the filter keeps
learning when a run goes on past the training strings, ``--target-n`` above 10); "forget5" and
"forget10" start the forget gates' biases at 5 and 10 (f = 0.993 and 0.99995).

"shortcut" gives the readout the inputs too ([h; x]: lstm's ``readout_inputs``), the papers'
shortcut connections from the input units to the output units; "stagger" starts the gate biases
per memory block, input -1, -2, forget +1, +2, output -1, -2 (our reading of the papers' staggered
initialisation: the values are not checked against their text). The words of a method name are
listed in ``TOKENS`` (``--help``): "bi=-1:-2 bo=-2:-4" starts the input gates' biases at -1 and -2
and the output gates' at -2 and -4 in blocks 1 and 2 (lstm's per-block bias options), "p0=1000",
"r=100:1", "q=0.1:1e-6", "anneal=10000" set DEKF's P0, noise schedules and horizon, and so on.
``--csv results/bench_dekf.csv`` appends one row per run as it ends (the same command resumes a
cut-off run); ``--table`` prints the table of a CSV's runs. "g=sigmoid2 h=sigmoid1" squash the
cell input and output with the logistic sigmoid scaled to [-2, 2] and [-1, 1], as we understand
"Learning to forget" (Gers, Schmidhuber & Cummins 2000) and Hochreiter & Schmidhuber (1997) did;
"h=identity" drops the output squashing, as a third-party implementation of the peephole LSTM of
Gers, Schraudolph & Schmidhuber (2002) does (neither checked against the papers' text).

``--test-every K`` tests the network on the test strings every K sequence presentations while it
trains (gradient methods: after every K / 10 epochs; and the starting weights), keeps the
network that generalised furthest and reports its largest n ("tracked") and when it got there,
beside the final network's: generalisation measured during continued training with the test
strings picking the network, as many LSTM papers of the time may have reported it (whether the
DEKF papers did is not checked: their text was not found). Its runs go to their own CSV (more
columns).

Run: ``python benchmarks/bench_dekf.py --seeds 10`` (the full version); smaller ``--seeds`` and
``--budget`` for a quick one; ``--first-seed`` splits the seeds over processes (each run's figures
go to stderr). CMA-ES on a busy machine: ``OPENBLAS_NUM_THREADS=1`` (BLAS threads fight Numba's).
A script, not a test: it prints measured figures.
"""
from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import sys
import time

import numpy as np

import evornn
from evornn.nets import build
from evornn.nets.cells import lstm as lstm_cell
from evornn.problems.registry import make_problem
import runs_csv

KEY = ("method", "coding", "dekf_settings", "seed", "budget", "target_n", "test_n")
FIELDS = KEY + ("max_n", "solved", "sequences", "seconds")
TRACK_KEY = KEY + ("test_every",)                       # --test-every K > 0: its own CSV, more columns
TRACK_FIELDS = TRACK_KEY + ("max_n", "solved", "sequences", "seconds", "tracked_n", "tracked_at")
GRADIENT = ("dekf", "bptt", "rtrl")
N_TRAIN = 10      # strings n = 1..10, one epoch = 10 presentations
DEKF_EXTRA: dict = {}          # settings merged into every DEKF method's (--dekf-settings)
CODING = {"coding": "full"}     # the problem's coding (--coding): "full" (S a b c T) or "compact" (4 in, 4 out)

OPTIMISERS = ("dekf", "bptt", "rtrl", "cosyne", "cmaes")
DEFAULT = ("dekf lstm-2 peephole global,dekf lstm-2 peephole global u0.1,dekf lstm-2 peephole neuron u0.1,"
           "dekf lstm-2 peephole global u0.1 truncated,dekf lstm-2 peephole global u0.1 q0.1,"
           "dekf lstm-2 peephole global u0.1 q0.1 truncated,bptt lstm-2 peephole,bptt lstm-2 peephole u0.1,"
           "cosyne lstm-2 peephole,cmaes lstm-2 peephole")
TOKENS = """a method is words: the optimiser (dekf, bptt, rtrl, cosyne, cmaes), lstm-H (H memory blocks of
one cell), then any of: peephole; shortcut (the readout reads [h; x]: lstm's readout_inputs); uR
(every weight but the gate biases uniform in [-R, R]); global, neuron or block (DEKF's decoupling);
truncated (DEKF's Jacobian: the truncated LSTM gradient); q0.1 (DEKF: Q from 0.1, e-folding 5,000
updates); constant (DEKF: R = 100 and Q = 1e-2 held); forgetX (every forget-gate bias X at the
start); stagger (block k's gate biases input -k, forget +k, output -k); bi=V:V.., bf=V:V..,
bo=V:V.. (the input, forget, output gate biases at the start, one value for all blocks or one
per block); p0=V (DEKF's P0 = V I); r=A:B, q=A:B (DEKF's R and Q annealed from A towards B);
anneal=V (their e-folding, in updates); linear (DEKF's linear schedule); fix=BLOCK (the weight
block BLOCK starts at 0 and DEKF leaves it there: fix=W_rec, no recurrent connections into the
gates and the cell input); ug=R (the cell input's input weights uniform in [-R, R] at the start);
g=NAME, h=NAME (the squashing of the cell input and of the cell output, lstm's cell_input and
cell_output: tanh, sigmoid2 (the logistic sigmoid scaled to [-2, 2]), sigmoid1 (scaled to [-1, 1])
or identity)"""


def _values(tok: str, H: int) -> float | list[float]:
    vals = [float(v) for v in tok.split("=", 1)[1].split(":")]
    if len(vals) not in (1, H):
        raise ValueError(f"{tok!r}: one value or {H} (one per memory block)")
    return vals[0] if len(vals) == 1 else vals


def parse_method(name: str) -> tuple[str, dict, dict, dict]:
    """``name`` -> (optimiser, network options with "arch", DEKF settings, the initialisation: "r" the
    initial weight range (0: evornn's), "ug" that of the cell input's input weights if set); the
    words as :data:`TOKENS` says, or a ValueError."""
    words = name.split()
    if len(words) < 2 or words[0] not in OPTIMISERS or not words[1].startswith("lstm-"):
        raise ValueError(f"method {name!r}: starts with one of {', '.join(OPTIMISERS)}, then lstm-H")
    opt, H = words[0], int(words[1][len("lstm-"):])
    net: dict = {"arch": "lstm", "n_hidden": H}
    settings: dict = {}
    r = ug = 0.0
    for w in words[2:]:
        if w == "peephole":
            net["peephole"] = True
        elif w == "shortcut":
            net["readout_inputs"] = True
        elif w in ("global", "neuron", "block"):
            settings["decoupling"] = w
        elif w == "truncated":
            settings["jacobian"] = "truncated"
        elif w == "q0.1":
            settings.update(process_noise=0.1, anneal=5000.0)
        elif w == "constant":
            settings.update(measurement_noise_end=100.0, process_noise_end=1e-2)
        elif w == "linear":
            settings["schedule"] = "linear"
        elif w == "stagger":
            net.update(input_bias=[-k - 1.0 for k in range(H)], forget_bias=[k + 1.0 for k in range(H)],
                       output_bias=[-k - 1.0 for k in range(H)])
        elif w.startswith("forget"):
            net["forget_bias"] = float(w[len("forget"):])
        elif w[:3] in ("bi=", "bf=", "bo="):
            net[{"i": "input_bias", "f": "forget_bias", "o": "output_bias"}[w[1]]] = _values(w, H)
        elif w.startswith("p0="):
            settings["initial_covariance"] = float(w[3:])
        elif w[:2] in ("r=", "q="):
            a, b = (float(v) for v in w[2:].split(":"))
            key = "measurement_noise" if w[0] == "r" else "process_noise"
            settings.update({key: a, key + "_end": b})
        elif w.startswith("fix="):
            settings["fixed"] = settings.get("fixed", []) + [w[len("fix="):]]
        elif w.startswith("anneal="):
            settings["anneal"] = float(w[len("anneal="):])
        elif w[:2] in ("g=", "h="):
            if w[2:] not in lstm_cell.SQUASHINGS:
                raise ValueError(f"method {name!r}: {w[:2]} takes one of {', '.join(lstm_cell.SQUASHINGS)}, "
                                 f"got {w[2:]!r}")
            net["cell_input" if w[0] == "g" else "cell_output"] = w[2:]
        elif w.startswith("ug=") and w[3:].replace(".", "", 1).isdigit():
            ug = float(w[3:])
        elif w.startswith("u") and w[1:].replace(".", "", 1).isdigit():
            r = float(w[1:])
        else:
            raise ValueError(f"method {name!r}: unknown word {w!r}; {TOKENS}")
    if settings and opt != "dekf":
        raise ValueError(f"method {name!r}: {', '.join(settings)} are DEKF settings")
    return opt, net, settings, {"r": r, **({"ug": ug} if ug else {})}


def small_init(problem, r: float, zero: tuple[str, ...] = (), ug: float = 0.0):
    """``problem`` starting every weight but the gate biases (block ``b``, as the network's options
    set them) uniform in [-r, r] (r = 0: as the network draws them), the blocks named in ``zero`` at 0,
    and with ``ug`` the cell input's input weights (W_in[2]) uniform in [-ug, ug]."""
    def initial(net, rng, n=None):
        W = np.atleast_2d(net.init(rng, n if n is not None else 1)).copy()
        if r:
            off, shape = net.layout["b"]
            keep = W[:, off:off + int(np.prod(shape))].copy()
            W[:] = rng.uniform(-r, r, W.shape)
            W[:, off:off + keep.shape[1]] = keep
        for name in zero:
            off, shape = net.layout[name]
            W[:, off:off + int(np.prod(shape))] = 0.0
        if ug:
            off, shape = net.layout["W_in"]                  # (4, H, n_in), gate order i, f, g, o
            m = shape[1] * shape[2]
            W[:, off + 2 * m:off + 3 * m] = rng.uniform(-ug, ug, (W.shape[0], m))
        return W if n is not None else W[0]
    problem.initial = initial
    return problem


@functools.lru_cache(maxsize=None)
def test_problem(test_n: int):
    """The test strings n = 1..test_n (built once: 1.5 million steps for n <= 1000)."""
    return make_problem("anbncn", test_max_n=test_n, **CODING)


def max_n_of(w: np.ndarray, netw, test_n: int) -> int:
    """The largest N with every test string n = 1..N right for the weights ``w``: tested on n <= 50,
    then, while all of those are right, on n <= 100, 200, 400, ... and ``test_n`` (the same figure
    as testing n <= ``test_n`` at once, at the cost of about twice the strings up to N + 1)."""
    tops = [t for t in (50, 100, 200, 400, 800) if t < test_n] + [test_n]
    for top in tops:
        p = test_problem(top)
        n = int(p.evaluate_test(netw, w[None]).metrics[0, p.metric_names.index("max_n")])
        if n < top:
            return n
    return n


class Tracker:
    """A runner callback testing the trained weights on the test strings every ``every`` sequence
    presentations (and :meth:`start` the starting weights): ``best_n``, the largest n any tested
    network generalised to, first reached after ``best_at`` presentations, and its weights ``best_w``."""

    def __init__(self, netw, test_n: int, every: int, per_eval: int = 1):
        self.netw, self.test_n, self.every, self.per_eval = netw, test_n, every, per_eval
        self.best_n, self.best_at, self.best_w, self.next = -1, 0, None, every

    def test(self, w: np.ndarray, presented: int) -> None:
        n = max_n_of(np.asarray(w, dtype=np.float64), self.netw, self.test_n)
        if n > self.best_n:
            self.best_n, self.best_at, self.best_w = n, presented, np.array(w, dtype=np.float64)

    def start(self, runner) -> None:
        self.test(runner.strategy.w, 0)

    def __call__(self, runner, row) -> None:
        presented = int(row["evaluations"]) * self.per_eval
        if presented >= self.next:
            self.test(runner.strategy.w, presented)
            self.next = (presented // self.every + 1) * self.every


def run(method: str, seed: int, budget: int, test_n: int, target_n: int,
        test_every: int = 0) -> tuple[int, bool, int, float, int, int]:
    """One run: (largest n of the final network, solved, sequences presented, seconds, and with
    ``test_every`` > 0 the largest n of any network tested while training and when (else -1, 0))."""
    opt, net, settings, init = parse_method(method)
    if opt == "dekf":
        settings = {**settings, **DEKF_EXTRA}
    if test_every and opt not in GRADIENT:
        raise ValueError(f"--test-every tests a trained network's weights: {', '.join(GRADIENT)}, not {opt}")
    per_eval = 1 if opt in GRADIENT else N_TRAIN     # presentations per counted evaluation
    net = dict(net)
    arch = net.pop("arch")
    t = time.time()
    problem = make_problem("anbncn", target_n=target_n or N_TRAIN, test_max_n=max(100, target_n), **CODING)
    if init["r"] or init.get("ug") or settings.get("fixed"):
        problem = small_init(problem, init["r"], tuple(settings.get("fixed", ())), init.get("ug", 0.0))
    p = test_problem(test_n)
    netw = build(arch, p.n_inputs, p.n_outputs, **net, output_activation="sigmoid")
    track = Tracker(netw, test_n, test_every) if test_every else None
    runner = evornn.make_runner(opt, problem, arch, net={**net, "output_activation": "sigmoid"}, settings=settings,
                                stop={"max_evaluations": budget // per_eval, "solved": target_n > 0}, seed=seed,
                                callbacks=(track,) if track else ())
    if track:
        track.start(runner)
    res = runner.run()
    max_n = max_n_of(res.best_chromosome, netw, test_n)
    seq = int(res.progress.evaluations) * per_eval
    if track:
        return max_n, bool(res.solved), seq, time.time() - t, track.best_n, track.best_at
    return max_n, bool(res.solved), seq, time.time() - t, -1, 0


def _has_tracked_columns(path: str | None) -> bool:
    """Whether the CSV at ``path`` holds tracked runs (``--test-every``): ``--table`` reads either kind."""
    if not path or not os.path.exists(path):
        return False
    with open(path, newline="") as f:
        return "tracked_n" in next(csv.reader(f), [])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    ap.add_argument("--budget", type=int, default=200000, help="sequence presentations per run")
    ap.add_argument("--test-n", type=int, default=1000, help="largest n of the test strings")
    ap.add_argument("--target-n", type=int, default=10,
                    help="solved (and the run ends) when n = 1..this are right (10: the training strings; "
                         "0: the run goes on for the whole budget, solved = the training strings right)")
    ap.add_argument("--coding", choices=("full", "compact"), default="full",
                    help="anbncn's coding: full (S a b c T in and out) or compact (in S a b c, out a b c T: the papers' 4 + 4)")
    ap.add_argument("--dekf-settings", default="{}",
                    help='JSON merged into every DEKF method\'s settings, e.g. \'{"anneal": 100000}\'')
    ap.add_argument("--methods", default=DEFAULT, help="comma-separated; " + TOKENS)
    ap.add_argument("--test-every", type=int, default=0,
                    help="test the network on the test strings every this many presentations while it trains "
                         "and report the furthest any tested network generalised (0: off; dekf, bptt, rtrl)")
    runs_csv.add_arguments(ap)
    a = ap.parse_args()
    if a.test_every < 0:
        ap.error(f"--test-every is a number of presentations >= 0 (0: off), got {a.test_every}")
    tracked = a.test_every > 0 or (a.table and _has_tracked_columns(a.csv))
    key, fields = (TRACK_KEY, TRACK_FIELDS) if tracked else (KEY, FIELDS)
    if runs_csv.print_table(a, ap, lambda rows: table(rows, a), fields):
        return
    CODING["coding"] = a.coding
    DEKF_EXTRA.update(json.loads(a.dekf_settings))
    for m in a.methods.split(","):
        try:
            opt = parse_method(m)[0]
        except ValueError as e:
            ap.error(str(e))
        if a.test_every and opt not in GRADIENT:
            ap.error(f"--test-every tests a trained network's weights: methods of {', '.join(GRADIENT)}, not {m!r}")
    plan = [(m, a.coding, a.dekf_settings, s, a.budget, a.target_n, a.test_n) + ((a.test_every,) if a.test_every else ())
            for m in a.methods.split(",") for s in range(a.first_seed, a.first_seed + a.seeds)]

    def run_one(k):
        max_n, solved, seq, secs, tracked, at = run(k[0], k[3], a.budget, a.test_n, a.target_n, a.test_every)
        print(f"  {k[0]} seed {k[3]}: largest n {max_n}, solved {solved}, {seq:,} sequences"
              + (f"; tested every {a.test_every}: largest n {tracked} after {at:,}" if a.test_every else ""),
              file=sys.stderr, flush=True)
        extra = {"tracked_n": tracked, "tracked_at": at} if a.test_every else {}
        return {**dict(zip(key, k)), "max_n": max_n, "solved": solved, "sequences": seq, "seconds": round(secs, 1),
                **extra}

    new = runs_csv.run_all(plan, a.csv, fields, key, run_one)
    rows = runs_csv.read_rows(a.csv, fields) if a.csv else new
    wanted = set(plan)
    print(table([r for r in rows if tuple(r[k] for k in key) in wanted], a))


def table(rows: list[dict], a) -> str:
    """One line per (method, coding, DEKF settings, budget, target n, test n[, test every]) of ``rows``;
    with tracked runs, the furthest any tested network generalised and when, as two more columns."""
    tracked = any("tracked_n" in r for r in rows)
    key = TRACK_KEY if tracked else KEY
    groups: dict = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in key if k != "seed"), []).append(r)
    out = ["| method | seeds | the run ends | solved | largest n generalised: median [min, max]; each | "
           "sequences presented (to success): median [min, max] | s per run |"
           + (" tested every | largest n of any tested network: median [min, max]; each | reached after "
              "(presentations): median [min, max] |" if tracked else ""),
           "|---|---|---|---|---|---|---|" + ("---|---|---|" if tracked else "")]
    for g, rs in groups.items():
        m, coding, ds, budget, target_n, test_n = g[:6]
        rs = sorted(rs, key=lambda r: r["seed"])
        ns = np.array([r["max_n"] for r in rs])
        seqs = [r["sequences"] for r in rs if r["solved"] or not target_n]
        seq = f"{int(np.median(seqs)):,} [{min(seqs):,}, {max(seqs):,}]" if seqs else "-"
        name = m + ("" if coding == "full" else f" ({coding} coding)") + ("" if ds == "{}" else f" --dekf-settings '{ds}'")
        ends = (f"after {budget:,} presentations" if not target_n else
                f"training strings right (or {budget:,} presentations)" if target_n == N_TRAIN else
                f"n <= {target_n} right (test strings) or {budget:,} presentations")
        solved = f"{sum(r['solved'] for r in rs)}/{len(rs)}" + (" (training strings right at some epoch)" if not target_n else "")
        line = (f"| {name} | {len(rs)} ({rs[0]['seed']}-{rs[-1]['seed']}) | {ends} | {solved} | "
                f"{np.median(ns):g} [{ns.min()}, {ns.max()}]; {', '.join(str(n) for n in sorted(ns))} "
                f"(test n <= {test_n:,}) | {seq} | {np.mean([r['seconds'] for r in rs]):.0f} |")
        if tracked:
            tn = np.array([r["tracked_n"] for r in rs])
            at = np.array([r["tracked_at"] for r in rs])
            line += (f" {g[6]:,} | {np.median(tn):g} [{tn.min()}, {tn.max()}]; {', '.join(str(n) for n in sorted(tn))} | "
                     f"{int(np.median(at)):,} [{at.min():,}, {at.max():,}] |")
        out.append(line)
    return "\n".join(out)


if __name__ == "__main__":
    main()
