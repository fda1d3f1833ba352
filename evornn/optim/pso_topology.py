"""pyswarms' neighbourhood topologies, made safe to call from evornn.

PSO (``evornn.optim.pso``) takes only the neighbourhood best from pyswarms 1.3
(``Topology.compute_gbest``); velocities and positions are updated with evornn's Generator. The
classes here subclass pyswarms' topologies to fix what stops them being used as they are:

- Every pyswarms ``Reporter`` calls ``logging.config.dictConfig``: it adds a stderr handler and a
  file handler to the *root* logger, sets it to INFO and creates ``./report.log``. Importing
  pyswarms builds several (module globals and default arguments), and every ``Topology.__init__``
  one more. Here pyswarms is imported with ``dictConfig`` switched off for the duration of the
  import (when evornn is the first to import it), and ``__init__`` sets the topology's attributes
  without a Reporter, so evornn leaves the caller's logging and working directory alone.
- ``Pyramid`` and ``Random``: ``compute_gbest`` builds ``np.array([...])`` of per-particle neighbour
  lists of different lengths. NumPy 1.24 turned that ragged-array deprecation (NEP 34) into
  ``ValueError: setting an array element with a sequence ... inhomogeneous shape``, so both crash
  on the first call with NumPy >= 1.24. Here the neighbour lists stay a Python list of arrays.
- ``Random`` draws its neighbours with ``np.random.choice`` (NumPy's global state): here from the
  Generator it is given.
- ``VonNeumann`` (and ``Ring`` with k > particles) asks a cKDTree for D(n_params, r) neighbours,
  the Delannoy number (2 n_params + 1 for r = 1); when that exceeds the swarm, cKDTree pads with
  the out-of-range index n_particles and ``compute_gbest`` raises IndexError. Here k is capped at
  the swarm size (so for networks of more than (particles - 1) / 2 weights, pyswarms' Von Neumann
  neighbourhood is the whole swarm).

Semantics kept from pyswarms: Ring and VonNeumann are the k nearest particles in position space
(Minkowski p-norm, self included), not neighbours by index; Pyramid is the particle's Delaunay
neighbours (Lane, Engelbrecht & Gain 2008, self not included; the whole swarm when there are
fewer than n_params + 1 particles); Random gives each particle k random others (plus itself) and
connects the graph as pyswarms does (Ni & Deng 2013).
"""
from __future__ import annotations

import itertools
import logging
import logging.config
import sys
from types import SimpleNamespace

import numpy as np
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import Delaunay


def _import_pyswarms_quietly() -> None:
    if "pyswarms" in sys.modules:
        return
    saved = logging.config.dictConfig
    logging.config.dictConfig = lambda config: None
    try:
        import pyswarms.backend.topology  # noqa: F401
    finally:
        logging.config.dictConfig = saved


_import_pyswarms_quietly()
from pyswarms.backend.swarms import Swarm  # noqa: E402
from pyswarms.backend.topology import Pyramid, Random, Ring, Star, VonNeumann  # noqa: E402

_REP = SimpleNamespace(logger=logging.getLogger("pyswarms.backend.topology"))


class _Quiet:
    """What pyswarms' ``Topology.__init__`` sets, without its Reporter."""

    def __init__(self, static: bool = False) -> None:
        self.static = bool(static)
        self.neighbor_idx = None
        self.rep = _REP


class StarTopology(_Quiet, Star):
    def __init__(self, static: bool = True) -> None:
        super().__init__(True)


class RingTopology(_Quiet, Ring):
    pass


class VonNeumannTopology(_Quiet, VonNeumann):
    def __init__(self, static: bool = True) -> None:
        super().__init__(True)

    def compute_gbest(self, swarm, p, r, **kwargs):
        k = min(VonNeumann.delannoy(swarm.dimensions, r), swarm.n_particles)
        return Ring.compute_gbest(self, swarm, p, k)


def _best_of(neighbors: list[np.ndarray], swarm) -> tuple[np.ndarray, float]:
    """pyswarms' lbest lookup over ragged neighbour lists (first minimum on ties, as argmin)."""
    best = np.array([nb[int(np.argmin(swarm.pbest_cost[nb]))] for nb in neighbors], dtype=np.int64)
    return swarm.pbest_pos[best], float(np.min(swarm.pbest_cost[best]))


class PyramidTopology(_Quiet, Pyramid):
    def compute_gbest(self, swarm, **kwargs):
        if swarm.n_particles < swarm.dimensions + 1:
            self.neighbor_idx = [np.arange(swarm.n_particles)] * swarm.n_particles
        elif not self.static or self.neighbor_idx is None:
            tri = Delaunay(swarm.position, qhull_options="QJ0.001 Qbb Qc Qx")
            indptr, indices = tri.vertex_neighbor_vertices
            self.neighbor_idx = [indices[indptr[i]:indptr[i + 1]].astype(np.int64)
                                 for i in range(swarm.n_particles)]
        return _best_of(self.neighbor_idx, swarm)


class RandomTopology(_Quiet, Random):
    def __init__(self, static: bool = False, rng: np.random.Generator | None = None) -> None:
        super().__init__(static)
        if rng is None:
            raise ValueError("RandomTopology needs the run's numpy Generator")
        self.rng = rng

    def compute_gbest(self, swarm, k, **kwargs):
        if not self.static or self.neighbor_idx is None:
            adj = self.adjacency(swarm.n_particles, k)
            self.neighbor_idx = [adj[i].nonzero()[0].astype(np.int64) for i in range(swarm.n_particles)]
        return _best_of(self.neighbor_idx, swarm)

    def adjacency(self, n: int, k: int) -> np.ndarray:
        """pyswarms' ``Random.__compute_neighbors`` with ``self.rng`` for ``np.random``."""
        adj = np.identity(n, dtype=int)
        nbr = np.array([self.rng.choice(np.setdiff1d(np.arange(n), np.array([i])), k, replace=False)
                        for i in range(n)]).reshape(n, k)
        rows = np.arange(n).reshape(n, 1)
        adj[rows, nbr] = 1
        adj[nbr, rows] = 1
        dist = dijkstra(adj, directed=False, return_predecessors=False, unweighted=True)
        while connected_components(adj, directed=False, return_labels=False) != 1:
            for i, j in itertools.product(range(n), repeat=2):
                if dist[i][j] == np.inf:
                    adj[i][j] = 1
        return adj


TOPOLOGIES = {
    "star": StarTopology,
    "ring": RingTopology,
    "von-neumann": VonNeumannTopology,
    "pyramid": PyramidTopology,
    "random": RandomTopology,
}
RAGGED = ("pyramid", "random")
