"""Population forward pass of every architecture against a C SIMD reference and JAX.

What it measures. For each registered architecture (``evornn.ARCHS``), 3 inputs, 2 outputs, P = 256
individuals, T = 1,000 time steps and H = 16 and 64 hidden units, the steps/s (P * T / wall
seconds, best of ``--repeat`` timings after a warm-up run) of ``Network.run_population(W, X)``, the
public API, with all P individuals on the same input sequence X. Next to it, in the same run, on
the same chromosomes and inputs:

* **C SIMD** (elman, lstm, gru): ``benchmarks/nets_simd.c``, written from the cells' equations,
  compiled at run time into ``benchmarks/bin/`` with ``gcc -O3 -march=native -ffast-math -fopenmp``.
  It puts 8 individuals in the lanes of one AVX-512 vector (weights laid out [parameter][lane];
  the transposition from evornn's chromosomes happens before timing), runs each block of 8 over the
  whole sequence with glibc's libmvec vector ``tanh``/``exp``, and spreads the blocks over the
  threads with OpenMP. The header says whether the library calls libmvec's ``_ZGVeN8v_*``. The
  baseline is the plain loop (one accumulator vector per matrix row: one FMA dependency chain);
  ``--c-rows 1 4`` adds a variant that accumulates 4 rows at a time (same results, 2-3x faster on
  Zen 4), to show how much more the machine does.
* **JAX** (elman, lstm, gru; only when ``jax`` is importable, it is not a dependency):
  ``jit(vmap(run_one))`` where ``run_one`` is a ``lax.scan`` over the sequence, same equations,
  same weights (moved to the device before timing), in float64 (``jax_enable_x64``) and float32.
* **evornn float32**, when ``evornn.build(..., dtype="float32")`` is accepted.
* A plain-NumPy reference vectorised over the population (batched matrix products, written below
  from each cell's equations) for every architecture: a correctness cross-check, timed only with
  ``--numpy``.

Every alternative's outputs are compared with evornn's float64 outputs (max abs difference; float64
should agree to about 1e-12). Ratios: evornn/C and evornn/JAX are speed ratios (above 1: evornn is
faster). The goal of issue 14 is printed at the end: at least 0.7x the C SIMD reference and at
least 1.5x JAX float64 for elman, lstm and gru at H = 16 and 64.

Threads. Everything runs with ``--threads`` threads (default 2): ``numba.set_num_threads`` for
evornn, ``omp_set_num_threads`` for the C library. XLA has no thread-count setting (the often
quoted ``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=N"``: the
first flag makes XLA's matrix products single-threaded, the second word is not an XLA flag and is
ignored); its thread pools are sized from the CPUs the process may run on, so when the machine has
more CPUs than ``--threads`` the process is pinned to the first ``--threads`` CPUs
(``os.sched_setaffinity``, before JAX starts), for all three engines alike. On a machine with
exactly that many CPUs (the project's 2-core machine) this is a no-op. JAX runs with its defaults;
an ``XLA_FLAGS`` from the environment is honoured and printed in the header.

Usage::

    python benchmarks/bench_nets.py                       # every architecture, H = 16 and 64
    python benchmarks/bench_nets.py --arch elman lstm gru --repeat 5
    python benchmarks/bench_nets.py --quick               # P = 32, T = 100, H = 8: a smoke test
    python benchmarks/bench_nets.py --numpy               # also time the NumPy reference

Options: ``--hidden 16 64``, ``--P``, ``--T``, ``--threads``, ``--c-rows``, ``--no-jax``, ``--no-c``.
The C library is built in two steps (``-ffast-math`` when compiling, not when linking: gcc 12 would
link crtfastmath.o, which turns on flush-to-zero for the whole process). A script, not a test.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
C_SRC = HERE / "nets_simd.c"
C_BIN = HERE / "bin"
C_FLAGS = ["-O3", "-march=native", "-ffast-math", "-fopenmp", "-fPIC"]
LIBMVEC = ("_ZGVeN8v_tanh", "_ZGVeN8v_exp")
C_CELLS = {"elman": 0, "lstm": 1, "gru": 2}          # cell codes of nets_simd.c's run()
GOAL_ARCHS, GOAL_H, GOAL_C, GOAL_JAX = ("elman", "lstm", "gru"), (16, 64), 0.7, 1.5


# ---------------------------------------------------------------------------------------------
# Plain-NumPy reference, vectorised over the population (correctness cross-check)

def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


ACT = {0: lambda a: a, 1: _sig, 2: np.tanh, 3: lambda a: np.where(a < 0.0, 0.0, a)}


def mv(W: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Batched matrix-vector product: W (P, m, n), x (P, n) -> (P, m)."""
    return np.matmul(W, x[:, :, None])[:, :, 0]


def _blocks(net, W: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Layer k's parameter blocks for the whole population, each (P, *shape), by unprefixed name."""
    start = sum(len(lay.blocks) for lay in net.layers[:k])
    return {b.name: W[:, off:off + b.size].reshape((W.shape[0],) + b.shape)
            for _n, off, b in net.blocks[start:start + len(net.layers[k].blocks)]}


class LayerRef:
    """One layer of the vectorised reference: state for P individuals and ``step(x) -> y``."""

    def __init__(self, net, W: np.ndarray, k: int):
        from evornn.nets.cells.esn import reservoir
        self.lay, self.B, self.P = net.layers[k], _blocks(net, W, k), W.shape[0]
        self.kind, H, P = self.lay.kind, self.lay.n_units, W.shape[0]
        self.act, self.act2 = ACT[self.lay.act], ACT[self.lay.act2]
        self.h = np.zeros((P, H))
        if self.kind == "esn":
            self.res = reservoir(net, k)
        if self.kind in ("jordan", "narx"):
            o = self.lay.options
            n_o = self.lay.n_out
            self.y = np.zeros((P, n_o))
            self.c = np.zeros((P, n_o))
            self.xs = np.zeros((P, (o.get("input_delays", 0) + 1) * self.lay.n_in))
            self.ys = np.zeros((P, o.get("output_delays", 0) * n_o))
        if self.kind == "lstm":
            self.cell = np.zeros((P, H))

    def step(self, x: np.ndarray) -> np.ndarray:
        B, kind, act, h = self.B, self.kind, self.act, self.h
        if kind == "dense":
            return act(mv(B["W"], x) + B["b"]) if "b" in B else act(mv(B["W"], x))
        if kind in ("frnn", "elman", "rmlp"):
            a = mv(B["W_in"], x) + mv(B["W_rec"], h)
            self.h = act(a + B["b"] if "b" in B else a)
        elif kind == "indrnn":
            self.h = act(mv(B["W_in"], x) + B["u"] * h + B["b"])
        elif kind == "second-order":
            self.h = act(mv(np.einsum("pijk,pj->pik", B["W"], h), x) + B["b"])
        elif kind == "gru":
            Wi, Wr, b = B["W_in"], B["W_rec"], B["b"]
            r = _sig(mv(Wi[:, 0], x) + mv(Wr[:, 0], h) + b[:, 0])
            z = _sig(mv(Wi[:, 1], x) + mv(Wr[:, 1], h) + b[:, 1])
            n = np.tanh(mv(Wi[:, 2], x) + mv(Wr[:, 2], r * h) + b[:, 2])
            self.h = (1.0 - z) * n + z * h
        elif kind == "lstm":
            Wi, Wr, b, c = B["W_in"], B["W_rec"], B["b"], self.cell
            pe = B["peep"] if "peep" in B else np.zeros((self.P, 3, h.shape[1]))
            i = _sig(mv(Wi[:, 0], x) + mv(Wr[:, 0], h) + pe[:, 0] * c + b[:, 0])
            f = _sig(mv(Wi[:, 1], x) + mv(Wr[:, 1], h) + pe[:, 1] * c + b[:, 1])
            g = np.tanh(mv(Wi[:, 2], x) + mv(Wr[:, 2], h) + b[:, 2])
            self.cell = c = f * c + i * g
            o = _sig(mv(Wi[:, 3], x) + mv(Wr[:, 3], h) + pe[:, 2] * c + b[:, 3])
            self.h = o * np.tanh(c)
        elif kind == "ctrnn":
            th = B["theta"]
            alpha = np.minimum(self.lay.options["dt"] * np.exp(-B["log_tau"]), 1.0)
            self.h = h + alpha * (mv(B["W_rec"], act(h + th)) + mv(B["W_in"], x) - h)
            return act(self.h + th)[:, :self.lay.n_out]
        elif kind == "mtrnn":
            inv_tau = self.lay.floats
            drive = mv(B["W_rec"], act(h)) + B["b"]
            drive[:, :B["W_in"].shape[1]] += mv(B["W_in"], x)
            self.h = (1.0 - inv_tau) * h + inv_tau * drive
            return act(self.h)[:, :self.lay.n_out]
        elif kind == "esn":
            r = self.res
            a = r["leak_rate"]
            self.h = (1.0 - a) * h + a * np.tanh(x @ r["W_in"].T + r["b"] + h @ r["W_res"].T)
            return np.concatenate([x, self.h], axis=1) if self.lay.n_out > self.h.shape[1] else self.h
        elif kind == "jordan":
            self.c = self.lay.floats[0] * self.c + self.y
            hh = act(mv(B["W_in"], x) + mv(B["W_ctx"], self.c) + B["b"])
            self.y = self.act2(mv(B["W_out"], hh) + B["b_out"])
            return self.y
        elif kind == "narx":
            self.xs = np.concatenate([x, self.xs[:, :self.xs.shape[1] - x.shape[1]]], axis=1)
            hh = act(mv(B["W_x"], self.xs) + mv(B["W_y"], self.ys) + B["b"])
            y = self.act2(mv(B["W_out"], hh) + B["b_out"])
            self.ys = np.concatenate([y, self.ys[:, :self.ys.shape[1] - y.shape[1]]], axis=1)
            return y
        else:
            raise NotImplementedError(kind)
        return self.h[:, :self.lay.n_out]


def numpy_population(net, W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Outputs (P, T, n_out) of every row of W over X, vectorised over the population."""
    from evornn.nets.kernels import BIDIRECTIONAL
    layers = [LayerRef(net, W, k) for k in range(len(net.layers))]
    T = X.shape[0]
    Xp = np.broadcast_to(X, (W.shape[0],) + X.shape)
    if net.kind == BIDIRECTIONAL:
        fwd = [layers[0].step(Xp[:, t]) for t in range(T)]
        bwd = [layers[1].step(Xp[:, t]) for t in range(T - 1, -1, -1)][::-1]
        return np.stack([layers[2].step(np.concatenate([f, b], axis=1)) for f, b in zip(fwd, bwd)], axis=1)
    out = []
    for t in range(T):
        v = Xp[:, t]
        for lay in layers:
            v = lay.step(v)
        out.append(v)
    return np.stack(out, axis=1)


# ---------------------------------------------------------------------------------------------
# The three supported cells: which networks, and their parameter blocks in chromosome order

def core_kind(net) -> str | None:
    """'elman', 'lstm' or 'gru' when net is that core with a bias and a dense readout, else None."""
    kinds = [lay.kind for lay in net.layers]
    if len(kinds) != 2 or kinds[1] != "dense" or kinds[0] not in C_CELLS:
        return None
    names = list(net.layout)
    return kinds[0] if names == ["W_in", "W_rec", "b", "out.W", "out.b"] else None   # no peepholes, biases on


def param_blocks(net, W: np.ndarray) -> dict[str, np.ndarray]:
    """The named blocks of every row of W, each (P, *shape): ``net.unflatten`` over the population."""
    return {name: W[:, off:off + int(np.prod(shape, dtype=int))].reshape((W.shape[0],) + shape)
            for name, (off, shape) in net.layout.items()}


# ---------------------------------------------------------------------------------------------
# C SIMD reference

def aligned_empty(shape, align: int = 64) -> np.ndarray:
    """An uninitialised float64 array whose data starts on an ``align``-byte boundary (one vector)."""
    n = int(np.prod(shape))
    buf = np.empty(n + align // 8)
    k = (-buf.ctypes.data % align) // 8
    return buf[k:k + n].reshape(shape)


class CSimd:
    """benchmarks/nets_simd.c compiled into benchmarks/bin/ and loaded with ctypes.

    Compiled in two steps, ``-ffast-math`` only when compiling: linking a shared library with it
    (gcc 12) adds crtfastmath.o, whose constructor turns on flush-to-zero for the whole process,
    evornn and JAX included.
    """

    def __init__(self, threads: int, rows: int = 1):
        cc = os.environ.get("CC", "gcc")
        if shutil.which(cc) is None:
            raise RuntimeError(f"no C compiler ({cc}) on PATH")
        C_BIN.mkdir(exist_ok=True)
        stem = "nets_simd" if rows == 1 else f"nets_simd_rows{rows}"
        self.rows, obj, self.path = rows, C_BIN / f"{stem}.o", C_BIN / f"{stem}.so"
        define = [] if rows == 1 else [f"-DROWS={rows}"]
        cmds = [[cc, *C_FLAGS, *define, "-c", str(C_SRC), "-o", str(obj)],
                [cc, "-shared", "-fopenmp", str(obj), "-o", str(self.path), "-lm"]]
        self.cmd = f"gcc {' '.join(C_FLAGS + define)}"
        stamp = C_BIN / f"{stem}.cmd"
        text = "\n".join(" ".join(c) for c in cmds)
        if (not self.path.exists() or self.path.stat().st_mtime < C_SRC.stat().st_mtime
                or not stamp.exists() or stamp.read_text() != text):
            for c in cmds:
                r = subprocess.run(c, capture_output=True, text=True)
                if r.returncode:
                    raise RuntimeError(f"{' '.join(c)} failed:\n{r.stderr}")
            stamp.write_text(text)
        self.lib = ctypes.CDLL(str(self.path))
        self.lib.run.restype = ctypes.c_int
        self.lib.run.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                                 ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                 ctypes.c_int, ctypes.c_void_p]
        self.lib.set_threads(int(threads))
        self.lanes = self.lib.simd_lanes()
        self.threads = self.lib.get_threads()
        self.vector_calls = self._vector_calls()

    def _vector_calls(self) -> str:
        """Which libmvec functions the library calls (from its dynamic symbols), or why unknown."""
        for tool, args in (("nm", ["-D", "--undefined-only"]), ("objdump", ["-T"])):
            if shutil.which(tool):
                out = subprocess.run([tool, *args, str(self.path)], capture_output=True, text=True).stdout
                used = sorted({w.split("@")[0] for w in out.split() if w.startswith("_ZGV")})
                missing = [f for f in LIBMVEC if f not in used]
                return ("calls libmvec " + ", ".join(used) if used else "calls no libmvec function") + \
                    (f" (missing {', '.join(missing)})" if missing else "")
        return "libmvec use unknown (no nm or objdump)"

    def prepare(self, net, W: np.ndarray, X: np.ndarray):
        """Population W (P, n_params) in blocks of lanes, [block][parameter][lane]; returns a runner."""
        kind = core_kind(net)
        P, n, LN = W.shape[0], net.n_params, self.lanes
        B = param_blocks(net, W)
        flat = np.concatenate([B[k].reshape(P, -1) for k in ("W_in", "W_rec", "b", "out.W", "out.b")], axis=1)
        nb = -(-P // LN)
        pad = np.concatenate([flat, np.repeat(flat[:1], nb * LN - P, axis=0)])   # full blocks, no tail
        Wl = aligned_empty((nb, n, LN))
        Wl[...] = pad.reshape(nb, LN, n).transpose(0, 2, 1)
        Xc = np.ascontiguousarray(X, dtype=np.float64)
        T, NI = Xc.shape
        H, NO = net.layers[0].n_units, net.n_outputs
        Yl = aligned_empty((nb, T, NO, LN))
        args = (C_CELLS[kind], Wl.ctypes.data, nb, n, Xc.ctypes.data, T, NI, H, NO,
                int(net.layers[0].act), int(net.layers[1].act), Yl.ctypes.data)

        def run():
            err = self.lib.run(*args)
            if err:
                raise RuntimeError(f"nets_simd.run returned {err}")
            return Yl

        def outputs() -> np.ndarray:
            return Yl.transpose(0, 3, 1, 2).reshape(nb * LN, T, NO)[:P]

        run.keep = (Wl, Xc)
        return run, outputs


# ---------------------------------------------------------------------------------------------
# JAX jit(vmap(lax.scan))

def jax_runner(net, W: np.ndarray, X: np.ndarray, dtype: str):
    """A no-argument function running the population in JAX (blocking), and its outputs as NumPy."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    kind = core_kind(net)
    H = net.layers[0].n_units
    sig = jax.nn.sigmoid
    acts = {0: lambda a: a, 1: sig, 2: jnp.tanh, 3: lambda a: jnp.where(a < 0.0, 0.0, a)}
    act, out_act = acts[int(net.layers[0].act)], acts[int(net.layers[1].act)]

    def cell(p, carry, x):
        if kind == "elman":
            h = act(p["W_in"] @ x + p["W_rec"] @ carry + p["b"])
            return h, h
        if kind == "lstm":
            h, c = carry
            a = p["W_in"] @ x + p["W_rec"] @ h + p["b"]            # (4, H), gate order i, f, g, o
            c = sig(a[1]) * c + sig(a[0]) * jnp.tanh(a[2])
            h = sig(a[3]) * jnp.tanh(c)
            return (h, c), h
        ax = p["W_in"] @ x + p["b"]                                 # gru, (3, H), gate order r, z, n
        r = sig(ax[0] + p["W_rec"][0] @ carry)
        z = sig(ax[1] + p["W_rec"][1] @ carry)
        n = jnp.tanh(ax[2] + p["W_rec"][2] @ (r * carry))
        h = (1.0 - z) * n + z * carry
        return h, h

    def run_one(p, xs):
        h0 = jnp.zeros(H, dtype=xs.dtype)
        init = (h0, h0) if kind == "lstm" else h0

        def step(carry, x):
            carry, h = cell(p, carry, x)
            return carry, out_act(p["out.W"] @ h + p["out.b"])

        return lax.scan(step, init, xs)[1]

    f = jax.jit(jax.vmap(run_one, in_axes=(0, None)))
    dev = jax.devices("cpu")[0]
    params = {k: jax.device_put(jnp.asarray(v, dtype=dtype), dev) for k, v in param_blocks(net, W).items()}
    xs = jax.device_put(jnp.asarray(X, dtype=dtype), dev)
    out = {}

    def run():
        out["Y"] = f(params, xs).block_until_ready()

    return run, lambda: np.asarray(out["Y"], dtype=np.float64)


def setup_jax(threads: int) -> str | None:
    """Import JAX with float64 enabled on at most ``threads`` CPUs; None, or why it is skipped."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import jax
    except ImportError:
        return "jax is not installed (pip install jax): JAX columns skipped"
    jax.config.update("jax_enable_x64", True)
    return None


def pin_threads(threads: int) -> str:
    """Run on ``threads`` CPUs: pins the process when the machine has more (see the docstring)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:                     # not Linux
        return f"{os.cpu_count()} CPUs, not pinned"
    if len(cpus) > threads:
        os.sched_setaffinity(0, cpus[:threads])
        return f"pinned to CPUs {cpus[:threads]} of {len(cpus)}"
    return f"{len(cpus)} CPUs available"


# ---------------------------------------------------------------------------------------------
# Measurement

def best_time(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls of fn after one warm-up call (compile, caches, threads)."""
    fn()
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# Architectures whose size is not n_hidden: the options giving H hidden units (NEAT's phenotypes: H
# units besides the 2 outputs, and neat-entm's 7 head controls at its memory width 2; H memories for
# modern-hopfield), or None for a fixed size (the inputs' for the Hopfield nets and the BAM, the
# memory's for dense-entm), run once.
SIZE_OPTION = {"mlp": lambda H: {"hidden": [H]}, "rmlp": lambda H: {"hidden": [H, H]},
               "stacked": lambda H: {"layers": [H, H]}, "neat-net": lambda H: {"max_nodes": H + 2},
               "neat-entm": lambda H: {"max_nodes": H + 9}, "modern-hopfield": lambda H: {"memories": H},
               "bam": None, "hopfield": None, "hopfield-continuous": None, "dense-entm": None}


def sizes(arch: str, H: int) -> dict | None:
    """Build options giving the architecture H hidden units per recurrent layer (or H units,
    H memories); None for an architecture of fixed size."""
    if arch in SIZE_OPTION:
        size = SIZE_OPTION[arch]
        return None if size is None else size(H)
    return {"n_hidden": H}


def maxdiff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b))) if a.shape == b.shape else np.inf


def c_key(i: int, c) -> str:
    """Row key of C variant i: 'c' for the first (the goal's baseline), 'c<rows>' for the others."""
    return "c" if i == 0 else f"c{c.rows}"


def first_line(e: Exception) -> str:
    return f"{type(e).__name__}: {e}".splitlines()[0]


def bench(arch: str, H: int, P: int, T: int, a, csimds: list, jax_ok: bool, rng) -> dict:
    """One table row. The outputs of every engine are compared with evornn's float64 outputs, or,
    when evornn fails (its kernels are being rewritten), with the NumPy reference's."""
    import evornn
    size = sizes(arch, H)
    net = evornn.build(arch, 3, 2, **(size or {}))
    W = net.init(rng, P)
    X = rng.normal(0.0, 1.0, (T, 3))
    row: dict = {"arch": arch, "H": H if size is not None else "-", "n_params": net.n_params}
    steps = P * T
    out: dict = {}

    def timed(key: str, run, outputs=None) -> np.ndarray | None:
        """row[key] = steps/s of run(), or the error it raised; its outputs."""
        try:
            row[key] = steps / best_time(run, a.repeat)
            return outputs() if outputs else out.pop(key)
        except Exception as e:                 # noqa: BLE001 - reported in the table
            row[key + "_error"] = first_line(e)
            return None

    Y = timed("evornn", lambda: out.__setitem__("evornn", net.run_population(W, X)))
    Yn = None
    try:
        if a.numpy:
            Yn = timed("numpy", lambda: out.__setitem__("numpy", numpy_population(net, W, X)))
        else:
            Yn = numpy_population(net, W, X)
    except NotImplementedError as e:
        row["d_numpy"] = f"no reference for {e}"
    if Y is None:
        Y, row["vs"] = Yn, "NumPy"
    elif Yn is not None:
        row["d_numpy"] = maxdiff(Yn, Y)
    if Y is None:
        return row

    try:                                       # evornn float32, once the option exists
        net32 = evornn.build(arch, 3, 2, dtype="float32", **sizes(arch, H))
    except (TypeError, ValueError):
        net32 = None
    if net32 is not None:
        Y32 = timed("evornn32", lambda: out.__setitem__("evornn32", net32.run_population(W, X)))
        if Y32 is not None:
            row["d_evornn32"] = maxdiff(np.asarray(Y32, dtype=np.float64), Y)

    supported = core_kind(net) is not None
    for i, csimd in enumerate(csimds if supported else []):
        run, outputs = csimd.prepare(net, W, X)
        Yc = timed(c_key(i, csimd), run, outputs)
        if Yc is not None:
            row["d_" + c_key(i, csimd)] = maxdiff(Yc, Y)
    if jax_ok and supported:
        for dt, key in (("float64", "jax64"), ("float32", "jax32")):
            run, outputs = jax_runner(net, W, X, dt)
            Yj = timed(key, run, outputs)
            if Yj is not None:
                row["d_" + key] = maxdiff(Yj, Y)
    return row


# ---------------------------------------------------------------------------------------------
# Output

def f_rate(r: dict, key: str) -> str:
    if key + "_error" in r:
        return "error"
    return "–" if r.get(key) is None else f"{r[key]:.3g}"


def f_ratio(r: dict, k1: str, k2: str) -> str:
    a, b = r.get(k1), r.get(k2)
    return "–" if a is None or b is None else f"{a / b:.2f}"


def f_diff(v) -> str:
    if v is None:
        return "–"
    return v if isinstance(v, str) else f"{v:.1e}"


def table(rows: list[dict], numpy_timed: bool, csimds: list) -> str:
    has32 = any("evornn32" in r or "evornn32_error" in r for r in rows)
    hasjax = any("jax64" in r for r in rows)
    cols = ["arch", "H", "evornn steps/s", "C SIMD steps/s", "evornn/C"]
    extra = [(c_key(i, c), c.rows) for i, c in enumerate(csimds) if i]
    for _k, n in extra:
        cols += [f"C {n} rows steps/s", f"evornn/C {n} rows"]
    if hasjax:
        cols += ["JAX f64 steps/s", "evornn/JAX f64", "JAX f32 steps/s"]
    if has32:
        cols += ["evornn f32 steps/s"] + (["evornn f32/JAX f32"] if hasjax else [])
    if numpy_timed:
        cols += ["NumPy steps/s", "evornn/NumPy"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['arch']} | {r['H']} | error |" + " |" * (len(cols) - 3))
            continue
        cells = [r["arch"], str(r["H"]), f_rate(r, "evornn"), f_rate(r, "c"), f_ratio(r, "evornn", "c")]
        for k, _n in extra:
            cells += [f_rate(r, k), f_ratio(r, "evornn", k)]
        if hasjax:
            cells += [f_rate(r, "jax64"), f_ratio(r, "evornn", "jax64"), f_rate(r, "jax32")]
        if has32:
            cells += [f_rate(r, "evornn32")] + ([f_ratio(r, "evornn32", "jax32")] if hasjax else [])
        if numpy_timed:
            cells += [f_rate(r, "numpy"), f_ratio(r, "evornn", "numpy")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def errors(rows: list[dict]) -> str:
    """The errors behind the table's 'error' cells, one line each."""
    out = []
    for r in rows:
        for k, v in r.items():
            if k == "error" or k.endswith("_error"):
                out.append(f"- {r['arch']} H={r['H']} {k.removesuffix('_error') if k != 'error' else 'build'}: {v}")
    return "\n".join(out)


def diff_table(rows: list[dict], csimds: list) -> str:
    cols = [("C SIMD", "d_c")] + [(f"C {c.rows} rows", "d_" + c_key(i, c)) for i, c in enumerate(csimds) if i]
    cols += [("JAX f64", "d_jax64"), ("NumPy", "d_numpy"), ("evornn f32", "d_evornn32"), ("JAX f32", "d_jax32")]
    cols = [(t, k) for t, k in cols if any(k in r for r in rows)]
    lines = ["| arch | H | vs | " + " | ".join(t for t, _ in cols) + " |", "|---|---|---|" + "---|" * len(cols)]
    for r in rows:
        if "error" not in r:
            lines.append(f"| {r['arch']} | {r['H']} | {r.get('vs', 'evornn')} | "
                         + " | ".join(f_diff(r.get(k)) for _, k in cols) + " |")
    return "\n".join(lines)


def goal(rows: list[dict]) -> str:
    head = (f"Goal (issue 14): evornn at least {GOAL_C}x the C SIMD reference and at least {GOAL_JAX}x JAX "
            f"float64 for {', '.join(GOAL_ARCHS)} at H = {' and '.join(map(str, GOAL_H))}.")
    cells = [r for r in rows if r["arch"] in GOAL_ARCHS and r["H"] in GOAL_H]
    if not cells:
        return head + " (not measured in this run)"
    out, met = [head], 0
    for r in cells:
        parts = []
        for key, target, name in (("c", GOAL_C, "C"), ("jax64", GOAL_JAX, "JAX f64")):
            if key in r and "evornn" in r:
                x = r["evornn"] / r[key]
                met += x >= target
                parts.append(f"{x:.2f}x {name} ({'met' if x >= target else 'NOT met'})")
            else:
                parts.append(f"{name}: not measured")
        out.append(f"- {r['arch']} H={r['H']}: " + "; ".join(parts))
    out.insert(1, f"Met in {met} of {2 * len(cells)} comparisons:")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="P=32, T=100, H=8: a smoke test")
    ap.add_argument("--arch", nargs="+", default=None, help="architectures to run (default: all registered)")
    ap.add_argument("--hidden", nargs="+", type=int, default=None, help="hidden sizes (default 16 64)")
    ap.add_argument("--P", type=int, default=None, help="population size (default 256)")
    ap.add_argument("--T", type=int, default=None, help="sequence length (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per engine after a warm-up (best kept)")
    ap.add_argument("--threads", type=int, default=2, help="threads for every engine (default 2)")
    ap.add_argument("--numpy", action="store_true", help="also time the NumPy reference (always checked)")
    ap.add_argument("--no-jax", action="store_true", help="skip JAX even when installed")
    ap.add_argument("--no-c", action="store_true", help="skip the C SIMD reference")
    ap.add_argument("--c-rows", nargs="+", type=int, default=[1], metavar="N",
                    help="C variants: matrix rows accumulated at a time (default 1, the plain loop and the "
                         "goal's baseline; e.g. --c-rows 1 4 adds the 4-row variant)")
    a = ap.parse_args(argv)
    P = a.P or (32 if a.quick else 256)
    T = a.T or (100 if a.quick else 1000)
    hidden = a.hidden or ([8] if a.quick else [16, 64])

    pinned = pin_threads(a.threads)            # before numba's and JAX's thread pools start
    jax_note = "JAX skipped (--no-jax)" if a.no_jax else setup_jax(a.threads)
    import numba

    import evornn
    numba.set_num_threads(min(a.threads, numba.config.NUMBA_NUM_THREADS))
    archs = a.arch or sorted(evornn.ARCHS)
    unknown = [x for x in archs if x not in evornn.ARCHS]
    if unknown:
        sys.exit(f"unknown architecture(s) {unknown}; choose from {sorted(evornn.ARCHS)}")
    csimds, c_note = [], "C SIMD skipped (--no-c)"
    if not a.no_c:
        try:
            csimds = [CSimd(a.threads, r) for r in a.c_rows]
            c = csimds[0]
            c_note = (f"C SIMD: {c.cmd} benchmarks/nets_simd.c, {c.lanes} float64 lanes per vector, "
                      f"{c.threads} OpenMP threads, {c.vector_calls}; accumulators: "
                      + ", ".join(f"{x.rows} row{'s' if x.rows > 1 else ''} at a time" for x in csimds)
                      + " (the first is the goal's baseline)")
        except (RuntimeError, OSError) as e:
            csimds, c_note = [], f"C SIMD skipped: {e}"

    print(f"# bench_nets: P={P} T={T} H={','.join(map(str, hidden))}, 3 inputs, 2 outputs; {pinned}; "
          f"numba threads={numba.get_num_threads()}")
    print(f"# steps/s = P*T / wall seconds, best of {a.repeat} after a warm-up; ratios > 1: evornn faster")
    print(f"# {c_note}")
    if jax_note:
        print(f"# {jax_note}")
    else:
        import jax
        print(f"# JAX {jax.__version__}: jit(vmap(lax.scan)), {len(jax.devices('cpu'))} CPU device, "
              f"thread pools sized from the CPUs available (see --threads), "
              f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '(unset)')!r}")
    print("# C SIMD and JAX implement elman, lstm and gru (no peepholes); '–': not implemented or not available",
          flush=True)

    rng = np.random.default_rng(0)
    rows = []
    for arch in archs:
        for H in hidden[:1] if sizes(arch, hidden[0]) is None else hidden:   # a fixed size: one row
            try:
                rows.append(bench(arch, H, P, T, a, csimds, jax_note is None, rng))
            except Exception as e:              # others may be mid-edit in evornn: report, go on
                rows.append({"arch": arch, "H": H, "error": first_line(e)})
            print(f"# done {arch} H={H}", file=sys.stderr, flush=True)
    print()
    print(table(rows, a.numpy, csimds))
    if errors(rows):
        print()
        print("Errors:")
        print(errors(rows))
    print()
    print("Max abs difference of each engine's outputs from evornn float64 (or, where evornn failed, from the")
    print("NumPy reference: column vs), over all P x T x 2 outputs:")
    print()
    print(diff_table(rows, csimds))
    print()
    print(goal(rows))


if __name__ == "__main__":
    main()
