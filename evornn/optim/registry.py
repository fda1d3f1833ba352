"""Optimisers by registry name: :data:`OPTIMISERS`, each a lazy "module:Class" (imported when asked for).

Adding one: its module (a :class:`~evornn.optim.base.Strategy` subclass) plus one line below, or,
outside evornn, ``OPTIMISERS.register("my-opt", "mymodule:MyStrategy")`` in a plugin.
"""
from __future__ import annotations

from ..registry import Registry

OPTIMISERS = Registry("optimiser")
OPTIMISERS.register("ga", "evornn.optim.ga:GeneticAlgorithm", requires=("deap",))
OPTIMISERS.register("sa", "evornn.optim.sa:SimulatedAnnealing")
OPTIMISERS.register("pso", "evornn.optim.pso:ParticleSwarm", requires=("pyswarms",))
OPTIMISERS.register("rwg", "evornn.optim.rwg:RandomWeightGuessing")
OPTIMISERS.register("cosyne", "evornn.optim.cosyne:CoSyNE")
OPTIMISERS.register("esp", "evornn.optim.esp:ESP")
OPTIMISERS.register("cmaes", "evornn.optim.cmaes:CMAES", requires=("cma",))
OPTIMISERS.register("openes", "evornn.optim.openes:OpenES")
OPTIMISERS.register("bptt", "evornn.grad.strategy:BPTTStrategy")
OPTIMISERS.register("rtrl", "evornn.grad.rtrl_strategy:RTRLStrategy")
OPTIMISERS.register("dekf", "evornn.grad.dekf_strategy:DEKFStrategy")
OPTIMISERS.register("esn-ridge", "evornn.grad.esn_ridge:EsnRidge")
OPTIMISERS.register("storage-rule", "evornn.optim.storage_rule:StorageRule")
OPTIMISERS.register("evolino", "evornn.optim.evolino:Evolino")
OPTIMISERS.register("neat", "evornn.optim.neat:NEAT")
OPTIMISERS.register("levels", "evornn.optim.levels:LevelByLevel")


def available() -> list[str]:
    return OPTIMISERS.available()


def get_strategy(name: str) -> type:
    """The Strategy class registered as ``name``."""
    return OPTIMISERS.get(name)


def describe(name: str) -> str:
    return OPTIMISERS.description(name)
