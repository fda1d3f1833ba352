"""A user's cell, outside the package: an independently recurrent layer (Li et al. 2018) under its
own code, reusing the indrnn kernels (a real cell writes its own ``step`` and ``step_lanes``)."""
from evornn.nets.cells import indrnn

CODE = 90
DEFAULT_ACTIVATION = "tanh"
step = indrnn.step
step_lanes = indrnn.step_lanes


def build(n_in, n_hidden, n_out, act):
    spec = indrnn.build(n_in, n_hidden, n_out, act)
    spec.code, spec.kind = CODE, "my-cell"
    return spec
