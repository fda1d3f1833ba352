"""How far the 8-bit ENTM copier is from its neighbours (issue 21): the hand-built `dense-entm` copier
(tests/test_dense_entm.py) scored on the copy task with Greve et al.'s start step and score, (0)
without its jump or moving on, (1) with noise on its zero weights, (2) with its six head units (start marker, interpolation, jump, three
shifts) drawn at random while the data path (input -> write, read -> output) stays right, and
(3) with the head units drawn only on the delimiter, start and bias inputs (the others 0).

    python benchmarks/check_entm_needle.py --bits 8 --draws 2000
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_dense_entm import copier  # noqa: E402
from evornn.problems.registry import make_problem  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bits", type=int, default=8)
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--write", default="interpolate", choices=("interpolate", "overwrite"),
                    help="the tape's write mode")
    a = ap.parse_args()
    B, Mw = a.bits, a.bits + 1
    prob = make_problem("copy", max_length=5, n_train=32, n_test=8, bits=B, start=True, fitness="strict")
    net, w = copier(B, prob.default_net["memory_size"], write=a.write)
    rng = np.random.default_rng(0)
    score = lambda P: prob.evaluate(net, P, None).fitness                          # noqa: E731
    print(f"{B}-bit copier, write {a.write}: strict score {score(w[None])[0]:.3f}")
    j, s0, s1 = B + Mw + 1, B + Mw + 3, B + Mw + 4                                    # jump, shift 0, shift +1
    no_jump, stay = w.copy(), w.copy()
    net.unflatten(no_jump)["ctrl.W"][j, B] = 0.0                                      # never jumps
    q = net.unflatten(stay)
    q["ctrl.b"][s0], q["ctrl.b"][s1] = q["ctrl.b"][s1], 0.0                          # stays instead of moving on
    print(f"  without the jump {score(no_jump[None])[0]:.3f}; staying put {score(stay[None])[0]:.3f}")
    zero = w == 0
    for s in (0.3, 0.5, 1.0, 2.0):
        f = score(w + zero * rng.normal(0.0, s, (200, w.size)))
        print(f"  N(0, {s}) on the {int(zero.sum())} zero weights: mean {f.mean():.3f}, min {f.min():.3f} (200 draws)")
    head = list(range(B + Mw - 1, B + Mw + 5))                                       # a_M, i, j, 3 shifts
    for r, only in ((1.0, False), (3.0, False), (6.0, False), (6.0, True)):
        P = np.tile(w, (a.draws, 1))
        for row in P:
            p = net.unflatten(row)
            if only:
                p["ctrl.W"][head] = 0.0
                p["ctrl.W"][np.ix_(head, [B, B + 1])] = rng.uniform(-r, r, (len(head), 2))
            else:
                p["ctrl.W"][head] = rng.uniform(-r, r, (len(head), p["ctrl.W"].shape[1]))
            p["ctrl.b"][head] = rng.uniform(-r, r, len(head))
        f = score(P)
        what = "delimiter, start and bias" if only else "every input"
        print(f"  head units uniform +-{r} on {what}: {int((f > 0.9).sum())} of {a.draws} score > 0.9 "
              f"(> 0.7: {int((f > 0.7).sum())}), best {f.max():.3f}")


if __name__ == "__main__":
    main()
