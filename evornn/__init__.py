"""evornn: training recurrent neural networks by neuroevolution and global optimisation."""
from .api import make_network, make_runner, optimise, supervised_problem
from .nets import ARCHS, Network, build
from .problem import EvalResult, Problem, SolvedCheck

__version__ = "0.1.0"
__all__ = ["ARCHS", "EvalResult", "Network", "Problem", "SolvedCheck", "__version__", "build",
           "make_network", "make_runner", "optimise", "supervised_problem"]
