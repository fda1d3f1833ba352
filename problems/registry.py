"""Problems by registry name: :data:`PROBLEMS`, each a factory (lazy "module:make") that returns a
:class:`~evornn.problem.Problem` from keyword parameters.

A factory (a function, or the Problem class itself) may take the registered name as its ``name`` parameter (one module, several problems:
anbn and anbncn). Adding a problem: its module (``make`` and ``DESCRIPTION``) plus one line below,
or, outside evornn, ``PROBLEMS.register("my-task", "mymodule:make", "what it is")`` in a plugin.

The memory guard sizes a problem's data before building it: the factory's module defines
``estimate_data_bytes(name, **params) -> int``, the bytes the built problem's data will take
(what :meth:`~evornn.problem.Problem.data_bytes` measures), in closed form from the same
parameters (:func:`estimate_data_bytes` fills in the defaults). A plugin problem without one is
built unchecked (its data is measured once built, as every problem's is).
"""
from __future__ import annotations

import inspect
import sys

from evornn.registry import Registry
from evornn.settings import check_call

PROBLEMS = Registry("problem")
PROBLEMS.register("pole-balance", "evornn.problems.pole_balance:PoleBalance")
PROBLEMS.register("reber", "evornn.problems.reber:make")
PROBLEMS.register("anbn", "evornn.problems.counting:make")
PROBLEMS.register("anbncn", "evornn.problems.counting:make")
PROBLEMS.register("mackey-glass", "evornn.problems.mackey_glass:make")
PROBLEMS.register("sines", "evornn.problems.sines:make")
PROBLEMS.register("parity", "evornn.problems.parity:make")
PROBLEMS.register("adding", "evornn.problems.adding:make")
PROBLEMS.register("timeseries", "evornn.problems.timeseries:make")
PROBLEMS.register("hopfield-recall", "evornn.problems.hopfield_recall:make")
PROBLEMS.register("bam-recall", "evornn.problems.bam_recall:make")
PROBLEMS.register("spike-templates", "evornn.problems.spike_templates:make")
PROBLEMS.register("dyck1", "evornn.problems.dyck:make")
PROBLEMS.register("reverse-string", "evornn.problems.reverse_string:make")
PROBLEMS.register("xor", "evornn.problems.xor:XOR")
PROBLEMS.register("gym", "evornn.problems.gym_problem:make", requires=("gymnasium",), extra="gym")
PROBLEMS.register("copy-seq", "evornn.problems.transduction:make")
PROBLEMS.register("reverse-seq", "evornn.problems.transduction:make")
PROBLEMS.register("ctc-stream", "evornn.problems.ctc_stream:make")
PROBLEMS.register("copy", "evornn.problems.memory_tasks:make",
                  "copy task: repeat a sequence of random 8-bit vectors after a delimiter (Graves et al. 2014)")
PROBLEMS.register("repeat-copy", "evornn.problems.memory_tasks:make",
                  "repeat-copy task: output a sequence of 8-bit vectors n times, then an end marker (Graves et al. 2014)")
PROBLEMS.register("assoc-recall", "evornn.problems.memory_tasks:make",
                  "associative recall: given one item of three 6-bit vectors, recall the next (Graves et al. 2014)")
PROBLEMS.register("two-sequence-lag", "evornn.problems.two_sequence_lag:make")
PROBLEMS.register("bool-trees", "evornn.problems.trees:make")
PROBLEMS.register("arith-trees", "evornn.problems.trees:make")


def available() -> list[str]:
    """Names of the problems whose modules and dependencies are present."""
    return PROBLEMS.available()


def describe(name: str) -> str:
    """The registered description, else the factory's module's ``DESCRIPTION``, else its docstring."""
    text = PROBLEMS.description(name)
    if text:
        return text
    make = PROBLEMS.get(name)
    return getattr(sys.modules.get(make.__module__), "DESCRIPTION", "") or (make.__doc__ or "").strip().split("\n")[0]


def factory_parameters(name: str) -> dict[str, inspect.Parameter]:
    """The keyword parameters the factory of ``name`` takes (without ``name``)."""
    sig = inspect.signature(PROBLEMS.get(name)).parameters
    return {k: p for k, p in sig.items() if k != "name"}


def split_name(name: str, params: dict) -> tuple[str, dict]:
    """``gym:<EnvId>`` -> ("gym", params with env = "<EnvId>"); other names unchanged."""
    if isinstance(name, str) and name.startswith("gym:"):
        if "env" in params and params["env"] != name[4:]:
            raise ValueError(f"problem {name}: env = {params['env']!r} contradicts the name; give one of them")
        return "gym", {**params, "env": name[4:]}
    return name, params


def factory_arguments(name: str, params: dict) -> tuple[str, dict]:
    """(the registered name, every parameter its factory gets: ``params`` over the defaults, without
    ``name``), checked as :func:`make_problem` checks them (one-line ValueError); nothing is built."""
    name, params = split_name(name, params)
    make = PROBLEMS.get(name)
    sig = inspect.signature(make)
    params = {k: v for k, v in params.items() if k not in _READOUT or k in sig.parameters}
    check_call(make, params, "problem", skip=("name",), owner=name)
    bound = sig.bind(**({"name": name} if "name" in sig.parameters else {}), **params)
    bound.apply_defaults()
    args = {}
    for k, v in bound.arguments.items():
        if sig.parameters[k].kind == inspect.Parameter.VAR_KEYWORD:
            args.update(v)
        elif k != "name":
            args[k] = v
    return name, args


def estimate_data_bytes(name: str, params: dict) -> int | None:
    """The bytes of the data problem ``name`` would build with ``params`` (defaults filled in), from
    its module's ``estimate_data_bytes``, without building it. None when the module has none (a
    plugin problem: built unchecked) or cannot read the parameters (out of range, a list of the
    wrong length: the factory then names what is wrong)."""
    name, args = factory_arguments(name, params)
    estimate = getattr(sys.modules.get(PROBLEMS.get(name).__module__), "estimate_data_bytes", None)
    if estimate is None:
        return None
    try:
        return int(estimate(name, **args))
    except (TypeError, ValueError, IndexError, KeyError, OSError):
        return None


_READOUT = ("readout", "ridge")   # options of every supervised sequence problem (Evolino), not of each factory


def make_problem(name: str, **params):
    """Make the problem ``name`` with its parameters; unknown names, unknown parameters and values
    of the wrong type (NaN and Inf included) raise a one-line ValueError (:mod:`evornn.settings`).
    ``gym:<EnvId>`` is the problem ``gym`` with ``env = "<EnvId>"``."""
    name, params = split_name(name, params)
    make = PROBLEMS.get(name)
    # readout / ridge: an option of every supervised sequence problem (Evolino), not of each factory
    readout = {k: params.pop(k) for k in _READOUT if k in params and k not in inspect.signature(make).parameters}
    check_call(make, params, "problem", skip=("name",), owner=name)
    problem = make(name=name, **params) if "name" in inspect.signature(make).parameters else make(**params)
    if readout:
        if not hasattr(problem, "set_readout"):
            raise ValueError(f"problem {name}: readout and ridge are options of the supervised sequence "
                             f"problems; {name} is not one")
        problem.set_readout(readout.get("readout", "ridge"), readout.get("ridge", 0.0))
    return problem
