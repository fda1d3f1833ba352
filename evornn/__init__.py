"""evornn: training recurrent neural networks by neuroevolution and global optimisation."""
import os as _os

# Numba's OpenMP threads (the parallel kernels, e.g. pole balancing's) would otherwise spin after each
# population evaluation, through the optimiser's Python step, taking the core the main thread needs
# when other processes load the machine: measured on 2 busy cores, a warm
# `evornn run ga --problem=pole-balance` took 1.6 times as long. A value set by the user is kept;
# it must be set before the first parallel kernel runs.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Before any cached kernel is defined: Numba's cache then notices an edit anywhere in evornn, not
# only in the file of the function it loads (evornn.numba_cache).
from .numba_cache import install as _install_cache  # noqa: E402

_install_cache()

from .api import make_network, make_runner, optimise, supervised_problem  # noqa: E402
from . import export  # noqa: E402  (a callable module: evornn.export(net, w, format=...))
from .export import build_from_json  # noqa: E402
from .nets import ARCHS, Network, build  # noqa: E402
from .problem import EvalResult, Problem, SolvedCheck  # noqa: E402

__version__ = "0.1.0"
__all__ = ["ARCHS", "EvalResult", "Network", "Problem", "SolvedCheck", "__version__", "build",
           "build_from_json", "export", "make_network", "make_runner", "optimise", "supervised_problem"]
