"""evornn's double pole without velocities against NEAT's own C++ code, network by network.

NEAT's code (neat1.2.1, built: its ``build/*.o`` and ``include``) prints genomes: the winners in
its ``statout`` (each after a ``(generalization = N )`` line) and whole populations in its
``gen_<k>`` files. This script builds ``neat_code_harness.cpp`` against that code, has the code
score each printed genome, and scores the same genomes with evornn (``neat-net``, one synchronous
pass a step, the code's sigmoid slope 4.924273 and bias input 0.5):

* ``--generalization FILE...``: the 625-start generalization count (passes: 1,000 steps), the
  code's and evornn's, with how many agree;
* ``--fitness FILE...``: the damping fitness of every genome (evornn from the code's start angle,
  0.07 rad), how many are equal to the last bit and within 1e-9.

    python benchmarks/neat_code_check.py --code ~/neat1.2.1 --generalization run*/statout
    python benchmarks/neat_code_check.py --code ~/neat1.2.1 --fitness run1/gen_55

A script, not a test (it needs NEAT's code, which is not part of evornn): it prints measured figures.
"""
import argparse
import glob
import math
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

import evornn
from evornn.optim.neat_genome import Genome, Layout
from evornn.problems.pole_balance import generalization_starts
from evornn.problems.registry import make_problem

HERE = pathlib.Path(__file__).resolve().parent
CODE_START_DEGREES = math.degrees(0.07)


def genomes(path: str) -> list[dict]:
    """The genomes printed in ``path``: id, genes (in, out, weight, enabled) in the code's node ids."""
    out, cur = [], None
    for line in open(path):
        t = line.split()
        if t[:1] == ["genomestart"]:
            cur = {"id": int(t[1]), "genes": []}
        elif t[:1] == ["gene"] and cur is not None:
            cur["genes"].append((int(t[2]), int(t[3]), float(t[4]), int(t[8])))
        elif t[:1] == ["genomeend"] and cur is not None:
            out.append(cur)
            cur = None
    return out


def phenotype(lay: Layout, genes) -> np.ndarray:
    """evornn's chromosome of a genome of the code: its inputs 1-3, bias 4 and output 5 are evornn's
    0-2, 3 and 4, its hidden nodes the next ids in their order; bias weights times the code's 0.5."""
    ids = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4}
    for n in sorted({n for a, b, _, _ in genes for n in (a, b)} - set(ids)):
        ids[n] = len(ids)
    g = Genome({ids[n]: 1 for n in ids if ids[n] >= 4},
               {k: [ids[a], ids[b], w, bool(e)] for k, (a, b, w, e) in enumerate(genes)})
    return lay.phenotype(g, bias=0.5)


def harness(code: pathlib.Path, workdir: str) -> str:
    objects = sorted(p for p in (code / "build").glob("*.o") if p.name != "neatmain.o")
    if not objects:
        sys.exit(f"neat_code_check: no object files in {code / 'build'}: build NEAT's code first (make)")
    exe = str(pathlib.Path(workdir) / "neat_code_harness")
    subprocess.run(["g++", "-O2", "-w", "-DNO_SCREEN_OUT", f"-I{code / 'include'}", str(HERE / "neat_code_harness.cpp"),
                    *map(str, objects), "-o", exe], check=True)
    return exe


def code_values(exe: str, mode: str, path: str) -> list[float]:
    err = subprocess.run([exe, mode, path], capture_output=True, text=True, check=True).stderr
    return [float(line.split()[1]) for line in err.splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--code", required=True, help="NEAT's code folder (build/*.o and include/)")
    ap.add_argument("--generalization", nargs="+", default=[], metavar="STATOUT")
    ap.add_argument("--fitness", nargs="+", default=[], metavar="GEN_FILE")
    a = ap.parse_args()
    files = {"gen": [f for p in a.generalization for f in sorted(glob.glob(p))],
             "fit": [f for p in a.fitness for f in sorted(glob.glob(p))]}
    if not files["gen"] and not files["fit"]:
        ap.error("give --generalization or --fitness files")
    with tempfile.TemporaryDirectory() as d:
        exe = harness(pathlib.Path(a.code).expanduser(), d)
        for mode, paths in files.items():
            if not paths:
                continue
            prob = make_problem("pole-balance", poles=2, velocities=False, fitness="damping", bias_input=0.0,
                                **({} if mode == "gen" else {"start_angle": CODE_START_DEGREES}))
            net = evornn.api.make_network(prob, "neat-net", max_nodes=32, update="sync", sigmoid_slope=4.924273)
            lay = Layout.of(net)
            code, ours = [], []
            for path in paths:
                gs = genomes(path)
                code += code_values(exe, mode, path)
                W = np.stack([phenotype(lay, g["genes"]) for g in gs])
                if mode == "gen":
                    starts = generalization_starts()
                    ours += [int(np.sum(prob.run(net, w[None], starts, 1000)[0][0] >= 1000)) for w in W]
                else:
                    ours += list(prob.evaluate(net, W, np.zeros(len(W), dtype=np.uint64)).fitness)
            code, ours = np.array(code), np.array(ours, dtype=np.float64)
            if mode == "gen":
                diff = np.abs(code - ours)
                print(f"generalization, {len(code)} genomes of {len(paths)} files: {int(np.sum(diff == 0))} equal, "
                      f"largest difference {int(diff.max())} starts; mean {code.mean():.1f} (code) {ours.mean():.1f} (evornn)")
            else:
                rel = np.abs(code - ours) / np.maximum(np.abs(code), 1e-300)
                print(f"damping fitness, {len(code)} genomes of {len(paths)} files: {int(np.sum(code == ours))} equal to "
                      f"the last bit, {int(np.sum(rel <= 1e-9))} within 1e-9")


if __name__ == "__main__":
    main()
