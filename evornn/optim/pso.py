"""Particle swarm optimisation with pyswarms' neighbourhood topologies.

Kennedy & Eberhart (1995), "Particle swarm optimization", Proc. ICNN 4:1942-1948. Each particle
i has a position x_i (a chromosome), a velocity v_i, its personal best p_i and the best personal
best g_i of its neighbourhood. Per step, with r1, r2 uniform on [0, 1) per component:

- inertia weight (Shi & Eberhart 1998, "A modified particle swarm optimizer", Proc. IEEE ICEC):
  v <- w v + c1 r1 (p - x) + c2 r2 (g - x), with w constant or decreasing linearly from ``w`` to
  ``w_end`` over ``w_steps`` generations (0.9 -> 0.4 in Shi & Eberhart 1999);
- constriction (Clerc & Kennedy 2002, IEEE TEC 6:58-73, type 1'' with kappa = 1):
  v <- chi (v + c1 r1 (p - x) + c2 r2 (g - x)), chi = 2 / |2 - phi - sqrt(phi^2 - 4 phi)|,
  phi = c1 + c2 > 4 (c1 = c2 = 2.05 gives chi = 0.7298; the default inertia settings w = 0.7298,
  c1 = c2 = 1.49618 are the same swarm, Eberhart & Shi 2000);

then each velocity component is clamped to +-v_max * (hi - lo) (``v_max = 0`` switches clamping off)
and x <- x + v. Positions live in [lo, hi] = [-bound, bound]; ``boundary`` is ``clip`` (absorbing
wall: the position is clipped and that velocity component set to 0), ``reflect`` (reflecting wall:
the position is mirrored back inside and that velocity component reversed) or ``none`` (invisible
wall: particles may leave; the bounds then only scale v_max and the uniform initialisation);
the walls are those of Robinson & Rahmat-Samii (2004), IEEE Trans. Antennas Propag. 52:397-407.
Initial positions are uniform in the bounds (``init = "uniform"``) or drawn by the network's init
(``"network"``); initial velocities are 0 (Engelbrecht 2012, "Particle swarm optimization:
velocity initialization", IEEE CEC). Personal bests change only to strictly better fitness.

pyswarms minimises cost; here cost = -fitness. Only the neighbourhood best comes from pyswarms
(``Topology.compute_gbest``); the velocity and position updates are computed here, since pyswarms'
``compute_velocity`` draws from NumPy's global random state. Topologies (``topology``): ``star``
(global best), ``ring`` (the ``k`` nearest particles in the Minkowski ``p``-norm),
``von-neumann`` (pyswarms' version: the D(n_params, r) nearest, capped at the swarm),
``pyramid`` (Delaunay neighbours) and ``random`` (``k`` random neighbours, drawn from the run's
Generator); ``static`` fixes ring, pyramid and random neighbourhoods after the first step. pyramid
and random crash in pyswarms 1.3 with NumPy >= 1.24 and work here through the subclasses of
:mod:`evornn.optim.pso_topology`, which says why. pyramid triangulates the swarm in n_params
dimensions: its cost grows exponentially with n_params (3.6 s per step for 30 particles in 14-D
here), so it is refused above 12 parameters (and for 1, where Delaunay is undefined) unless there are
fewer particles than n_params + 1 (where pyswarms makes the neighbourhood the whole swarm).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import InitFn, Strategy

PYRAMID_MAX_DIMS = 12
# The keys of pso_topology.TOPOLOGIES (a test checks): that module imports pyswarms and SciPy, so it
# is imported only when a swarm is made, not when the settings are read (``evornn list``, configs).
TOPOLOGY_NAMES = ("star", "ring", "von-neumann", "pyramid", "random")


def constriction(phi: float) -> float:
    """Clerc & Kennedy's constriction coefficient chi for phi = c1 + c2 > 4 (kappa = 1)."""
    if not phi > 4:
        raise ValueError(f"constriction needs phi = c1 + c2 > 4, got {phi}")
    return 2.0 / abs(2.0 - phi - math.sqrt(phi * phi - 4.0 * phi))


@dataclass(frozen=True)
class PSOConfig:
    population: int = 30
    topology: str = "star"        # star | ring | von-neumann | pyramid | random
    k: int = 3                    # ring and random: neighbours per particle
    p: int = 2                    # ring and von-neumann: Minkowski norm (1 or 2)
    r: int = 1                    # von-neumann: range
    static: bool = False          # ring, pyramid, random: fix the neighbourhoods after step 1
    velocity: str = "inertia"     # inertia | constriction
    w: float = 0.7298             # inertia weight (start value when inertia = "linear")
    inertia: str = "constant"     # constant | linear
    w_end: float = 0.4
    w_steps: int = 1000           # generations over which w falls linearly to w_end
    c1: float = 1.49618           # cognitive coefficient
    c2: float = 1.49618           # social coefficient
    bound: float = 10.0           # positions in [-bound, bound]
    boundary: str = "clip"        # clip | reflect | none
    v_max: float = 0.5            # velocity clamp as a fraction of the range 2*bound (0: off)
    init: str = "uniform"         # uniform (in the bounds) | network (the network's init)

    def validate(self, where: str = "pso") -> None:
        def bad(key: str, rule: str) -> None:
            raise ValueError(f"{where}.{key} must be {rule}, got {getattr(self, key)!r}")
        if self.population < 2:
            bad("population", ">= 2")
        if self.topology not in TOPOLOGY_NAMES:
            bad("topology", f"one of {', '.join(TOPOLOGY_NAMES)}")
        if self.topology == "ring" and not 1 <= self.k <= self.population:
            bad("k", f"in 1..population ({self.population}) for the ring topology")
        if self.topology == "random" and not 1 <= self.k <= self.population - 1:
            bad("k", f"in 1..population-1 ({self.population - 1}) for the random topology")
        if self.p not in (1, 2):
            bad("p", "1 or 2")
        if self.r < 1:
            bad("r", ">= 1")
        if self.velocity not in ("inertia", "constriction"):
            bad("velocity", "'inertia' or 'constriction'")
        if self.velocity == "constriction" and not self.c1 + self.c2 > 4:
            raise ValueError(f"{where}: constriction needs c1 + c2 > 4 (e.g. 2.05 each), got "
                             f"{self.c1} + {self.c2}")
        if self.inertia not in ("constant", "linear"):
            bad("inertia", "'constant' or 'linear'")
        if self.w_steps < 1:
            bad("w_steps", ">= 1")
        if self.c1 < 0 or self.c2 < 0:
            raise ValueError(f"{where}: c1 and c2 must be >= 0, got {self.c1} and {self.c2}")
        if not self.bound > 0:
            bad("bound", "> 0")
        if self.boundary not in ("clip", "reflect", "none"):
            bad("boundary", "'clip', 'reflect' or 'none'")
        if not self.v_max >= 0:
            bad("v_max", ">= 0 (0 switches clamping off)")
        if self.init not in ("uniform", "network"):
            bad("init", "'uniform' or 'network'")


class ParticleSwarm(Strategy):
    name = "pso"
    description = ("particle swarm (Kennedy & Eberhart 1995): pyswarms topologies, inertia weight or "
                   "constriction, velocity clamping, bounds")
    Config = PSOConfig
    state_fields = ("iteration", "position", "velocity", "pbest_pos", "pbest_fit", "neighbors")

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """Positions, velocities and personal bests, ask's and tell's copies, and the velocity
        update's random factors and temporaries (r1, r2, the two pulls, their sum, the new velocity
        and positions, the bounded copies): measured 18 population matrices (P = 400, n = 1000)."""
        return 18 * config.population * int(n_params) * 8

    def __init__(self, n_params: int, config: PSOConfig | None, rng: np.random.Generator,
                 init: InitFn | None = None) -> None:
        super().__init__(n_params, config, rng, init)
        c = self.config
        c.validate(self.name)
        triangulated = c.topology == "pyramid" and c.population >= self.n_params + 1
        if triangulated and not 2 <= self.n_params <= PYRAMID_MAX_DIMS:
            raise ValueError(f"{self.name}: the pyramid topology triangulates the swarm in {self.n_params} "
                             f"dimensions: it needs 2 to {PYRAMID_MAX_DIMS}; use star, ring or von-neumann")
        from .pso_topology import RAGGED, TOPOLOGIES, RandomTopology, Swarm
        topo = TOPOLOGIES[c.topology]
        self.topology = topo(c.static, rng) if topo is RandomTopology else topo(c.static)
        self._random, self._ragged, self._swarm = topo is RandomTopology, c.topology in RAGGED, Swarm
        self._gbest_args = {"ring": {"p": c.p, "k": c.k}, "von-neumann": {"p": c.p, "r": c.r},
                            "random": {"k": c.k}}.get(c.topology, {})
        self.iteration = 0
        self.position: np.ndarray | None = None   # (P, n) the positions ask returns next
        self.velocity: np.ndarray | None = None
        self.pbest_pos: np.ndarray | None = None
        self.pbest_fit: np.ndarray | None = None

    # -- neighbourhoods as one checkpointable array ------------------------------------------
    @property
    def neighbors(self) -> np.ndarray:
        """The topology's cached neighbour indices, rows padded with -1 ((0, 0) when none yet)."""
        idx = self.topology.neighbor_idx
        if idx is None:
            return np.zeros((0, 0), dtype=np.int64)
        rows = [np.asarray(r, dtype=np.int64).reshape(-1) for r in idx]
        out = np.full((len(rows), max(len(r) for r in rows)), -1, dtype=np.int64)
        for i, r in enumerate(rows):
            out[i, :len(r)] = r
        return out

    @neighbors.setter
    def neighbors(self, a) -> None:
        a = np.asarray(a if a is not None else np.zeros((0, 0)), dtype=np.int64)
        if a.size == 0:
            self.topology.neighbor_idx = None
        elif self._ragged:
            self.topology.neighbor_idx = [row[row >= 0] for row in a]
        else:
            self.topology.neighbor_idx = a

    # -- ask / tell ----------------------------------------------------------------------------
    def inertia_weight(self) -> float:
        c = self.config
        if c.inertia == "constant":
            return c.w
        return c.w + (c.w_end - c.w) * min(self.iteration / c.w_steps, 1.0)

    def ask(self) -> np.ndarray:
        if self.position is None:
            c = self.config
            if c.init == "uniform":
                x = self.rng.uniform(-c.bound, c.bound, (c.population, self.n_params))
            else:
                x = np.asarray(self.init(self.rng, c.population), dtype=np.float64).reshape(c.population, -1)
                if c.boundary != "none":
                    x = np.clip(x, -c.bound, c.bound)
            self.position, self.velocity = x, np.zeros_like(x)
        return self.position.copy()

    def expected_rows(self) -> int:
        return self.config.population

    def update(self, x: np.ndarray, fit: np.ndarray) -> None:
        c = self.config
        if self.velocity is None:   # told before any ask: these are the initial positions
            self.velocity = np.zeros_like(x)
        if self.pbest_pos is None:
            self.pbest_pos, self.pbest_fit = x.copy(), fit.copy()
        else:
            better = fit > self.pbest_fit
            self.pbest_pos[better], self.pbest_fit[better] = x[better], fit[better]
        g = self.neighbourhood_best(x)
        r1 = self.rng.random(x.shape)
        r2 = self.rng.random(x.shape)
        pull = c.c1 * r1 * (self.pbest_pos - x) + c.c2 * r2 * (g - x)
        if c.velocity == "constriction":
            v = constriction(c.c1 + c.c2) * (self.velocity + pull)
        else:
            v = self.inertia_weight() * self.velocity + pull
        if c.v_max > 0:
            vm = c.v_max * 2.0 * c.bound
            v = np.clip(v, -vm, vm)
        self.position, self.velocity = self._bounded(x + v, v)
        self.iteration += 1

    def neighbourhood_best(self, x: np.ndarray) -> np.ndarray:
        """(P, n) the best personal best of each particle's neighbourhood, via pyswarms' topology."""
        cost = -self.pbest_fit
        if self._random:
            self.topology.rng = self.rng   # the strategy's Generator, also after set_state
        swarm = self._swarm(position=x, velocity=self.velocity, pbest_pos=self.pbest_pos, pbest_cost=cost,
                            best_cost=np.inf, best_pos=self.pbest_pos[int(np.argmin(cost))])
        best_pos, _ = self.topology.compute_gbest(swarm, **self._gbest_args)
        return np.broadcast_to(best_pos, x.shape)

    def _bounded(self, x: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = self.config
        lo, hi = -c.bound, c.bound
        if c.boundary == "clip":
            out = (x < lo) | (x > hi)
            return np.clip(x, lo, hi), np.where(out, 0.0, v)
        if c.boundary == "reflect":
            width = hi - lo
            y = np.mod(x - lo, 2.0 * width)
            flips = np.floor_divide(x - lo, width).astype(np.int64) % 2 == 1
            return lo + np.where(y > width, 2.0 * width - y, y), np.where(flips, -v, v)
        return x, v
