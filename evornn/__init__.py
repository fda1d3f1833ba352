"""evornn: training recurrent neural networks by neuroevolution and global optimisation."""
from .nets import ARCHS, Network, build

__version__ = "0.1.0"
__all__ = ["ARCHS", "Network", "build", "__version__"]
