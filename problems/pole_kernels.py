"""Cart-pole physics and the fused network-in-the-loop episode kernel.

Physics of Wieland (1991) as coded by F. Gomez (UT Austin NEAT release; Shark's DoublePole) and
fixed in ../shared/reference/pole-balancing.md: a cart on a track with one or two hinged poles,
classic fourth-order Runge-Kutta with tau = 0.01 s, two RK4 steps per network (control) step.
For each pole i::

    Ftilde_i = m_i l_i thetadot_i^2 sin(theta_i) + 0.75 m_i cos(theta_i) (mu_p thetadot_i / (m_i l_i) + g sin(theta_i))
    mtilde_i = m_i (1 - 0.75 cos(theta_i)^2)
    xddot = (F + sum_i Ftilde_i) / (M + sum_i mtilde_i)
    thetaddot_i = -0.75 (xddot cos(theta_i) + g sin(theta_i) + mu_p thetadot_i / (m_i l_i)) / l_i

with g = -9.8 (the sign is in the equations). Cart friction (optional, off by default as in the
NEAT code) follows Shark: F is replaced by F - mu_c sgn(xdot) inside every derivative evaluation,
with sgn(0) = 0.

The state is always the 6-tuple (x, xdot, theta1, theta1dot, theta2, theta2dot); a single pole
keeps theta2 = theta2dot = 0 and leaves pole 2 out of the equations. :func:`control_step` is the
only integrator: :func:`simulate_kernel` (behind the public ``simulate``) and :func:`episode`
(behind every evaluation, test and benchmark) both call it.

The kernels use ``error_model="numpy"``: Python's ZeroDivisionError checks on the division by
M + sum(mtilde) (never zero) split the basic blocks so that LLVM could not fuse sin and cos of one
angle into a single ``sincos`` call; without them every pair is fused, as gcc does for the C
reference. With the network written out by hand, this physics loop runs as fast as that C program
(benchmarks/bench_pole.py prints both).

``rk4`` and ``control_step`` are inlined by Numba (``inline="always"``): left to LLVM, the body of
``rk4`` (four derivative evaluations) was too large for its inliner, so every network step made
two out-of-line calls with the 6-tuples passed through memory, where gcc inlines everything
(measured 2026-12-02: the single-network ratio to C went from 1.07-1.20x to 0.98-1.03x, medians
of the runs). ``derivs`` stays a plain function that LLVM inlines: inlining it in Numba's IR too
made the first compile of a pole kernel 2.4x slower (18 s instead of 7.8 s).
"""
import math

import numpy as np
from numba import literally, njit
from numba.extending import overload

from evornn.nets.kernels import all_finite
from evornn.nets.layer import NIN, YOFF
from evornn.nets.specialise import loop_network
from evornn.nets.threads import claim

G = -9.8              # gravity, m/s^2 (sign built into the equations)
MC = 1.0              # cart mass, kg
M1, L1 = 0.1, 0.5     # long pole: mass kg, half-length m
M2, L2 = 0.01, 0.05   # short pole
MUP = 0.000002        # pole hinge friction
MUC = 0.0005          # cart-track friction (option)
TAU = 0.01            # RK4 step, s; two per control step
FORCE_MAG = 10.0      # F = (a - 0.5) * 2 * FORCE_MAG
X_LIMIT = 2.4                 # |x| > 2.4 m fails
ANGLE_LIMIT_DOUBLE = 0.628329   # 36 degrees, as in the NEAT code
ANGLE_LIMIT_SINGLE = 0.2094384  # 12 degrees
# Input scaling of the reference: x/4.8, xdot/2, theta/0.52, thetadot/2.
X_SCALE, V_SCALE, A_SCALE = 4.8, 2.0, 0.52


@njit(cache=True, error_model="numpy")
def derivs(F, s, double, friction):
    """Time derivative of state ``s`` (6-tuple) under cart force ``F``; returns a 6-tuple."""
    if friction:
        if s[1] > 0.0:
            F = F - MUC
        elif s[1] < 0.0:
            F = F + MUC
    s1 = math.sin(s[2])
    c1 = math.cos(s[2])
    r1 = MUP * s[3] / (M1 * L1)
    f1 = M1 * L1 * s[3] * s[3] * s1 + 0.75 * M1 * c1 * (r1 + G * s1)
    m1 = M1 * (1.0 - 0.75 * c1 * c1)
    if double:
        s2 = math.sin(s[4])
        c2 = math.cos(s[4])
        r2 = MUP * s[5] / (M2 * L2)
        f2 = M2 * L2 * s[5] * s[5] * s2 + 0.75 * M2 * c2 * (r2 + G * s2)
        m2 = M2 * (1.0 - 0.75 * c2 * c2)
        xdd = (F + f1 + f2) / (MC + m1 + m2)
        t2dd = -0.75 * (xdd * c2 + G * s2 + r2) / L2
    else:
        xdd = (F + f1) / (MC + m1)
        t2dd = 0.0
    t1dd = -0.75 * (xdd * c1 + G * s1 + r1) / L1
    return (s[1], xdd, s[3], t1dd, s[5], t2dd)


@njit(cache=True, error_model="numpy")
def _axpy(s, h, k):
    return (s[0] + h * k[0], s[1] + h * k[1], s[2] + h * k[2],
            s[3] + h * k[3], s[4] + h * k[4], s[5] + h * k[5])


@njit(cache=True, error_model="numpy", inline="always")
def rk4(F, s, double, friction):
    """One classic RK4 step of length TAU."""
    k1 = derivs(F, s, double, friction)
    k2 = derivs(F, _axpy(s, 0.5 * TAU, k1), double, friction)
    k3 = derivs(F, _axpy(s, 0.5 * TAU, k2), double, friction)
    k4 = derivs(F, _axpy(s, TAU, k3), double, friction)
    h = TAU / 6.0
    return (s[0] + h * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]),
            s[1] + h * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1]),
            s[2] + h * (k1[2] + 2.0 * k2[2] + 2.0 * k3[2] + k4[2]),
            s[3] + h * (k1[3] + 2.0 * k2[3] + 2.0 * k3[3] + k4[3]),
            s[4] + h * (k1[4] + 2.0 * k2[4] + 2.0 * k3[4] + k4[4]),
            s[5] + h * (k1[5] + 2.0 * k2[5] + 2.0 * k3[5] + k4[5]))


@njit(cache=True, error_model="numpy", inline="always")
def control_step(F, s, double, friction):
    """One network step: two RK4 steps (0.02 s) with the force held constant."""
    return rk4(F, rk4(F, s, double, friction), double, friction)


@njit(cache=True, error_model="numpy")
def simulate_kernel(s0, forces, double, friction, out):
    """out[0] = s0 (6,); out[t + 1] = control_step(forces[t], out[t]) for t < len(forces)."""
    s = (s0[0], s0[1], s0[2], s0[3], s0[4], s0[5])
    for i in range(6):
        out[0, i] = s[i]
    for t in range(forces.shape[0]):
        s = control_step(forces[t], s, double, friction)
        for i in range(6):
            out[t + 1, i] = s[i]


@njit(cache=True, error_model="numpy")
def force_of(a, min_force):
    """Cart force of network output ``a`` (finite): a clipped to [0, 1], F = (a - 0.5) * 20.

    With ``min_force`` > 0 a force smaller in magnitude is raised to it, keeping its sign
    (F = 0 becomes +min_force), Gomez et al. (2008)'s |F| >= 10/256 N.
    """
    if a < 0.0:
        a = 0.0
    elif a > 1.0:
        a = 1.0
    F = (a - 0.5) * (2.0 * FORCE_MAG)
    if abs(F) < min_force:
        F = min_force if F >= 0.0 else -min_force
    return F


@njit(cache=True, error_model="numpy", inline="always")
def _episode(net_step, L, ix, fx, w, ws, buf, s0, double, velocities, friction, bias, min_force, max_steps,
             restart):
    """Run network ``w`` on the cart from state ``s0`` (6,); returns (steps, jiggle, failures).

    ``net_step(L, ix, fx, w, ws)`` is one network step (see :func:`episode`).

    At each step the network sees the scaled state (plus, when ``bias`` is not 0, the bias input
    ``bias`` in its last input), its first output becomes the force, and the cart moves 0.02 s. The step counts as balanced when
    the output is finite and the new state is inside the limits. Without ``restart`` the episode
    ends at the first failure (``steps`` = steps balanced) or after ``max_steps``. With
    ``restart`` (benchmark), a failure resets the cart and the network and the run goes on for
    exactly ``max_steps`` steps; ``failures`` counts the resets. ``buf`` (window,) is a ring
    buffer of |x| + |xdot| + |theta1| + |theta1dot| after each balanced step; ``jiggle`` is its
    sum over the last ``window`` balanced steps (0 when fewer were balanced, with ``restart``, or
    when ``window`` is 0).
    """
    n_in = L[0, NIN]
    yo = L[L.shape[0] - 1, YOFF]
    lim = ANGLE_LIMIT_DOUBLE if double else ANGLE_LIMIT_SINGLE
    window = buf.shape[0]
    start = (s0[0], s0[1], s0[2], s0[3], s0[4], s0[5])
    s = start
    ws[:] = 0.0
    t = 0
    ring = 0                               # t % window, without a division per step
    failures = 0
    while t < max_steps:
        if velocities:
            ws[0] = s[0] / X_SCALE
            ws[1] = s[1] / V_SCALE
            ws[2] = s[2] / A_SCALE
            ws[3] = s[3] / V_SCALE
            if double:
                ws[4] = s[4] / A_SCALE
                ws[5] = s[5] / V_SCALE
        else:
            ws[0] = s[0] / X_SCALE
            ws[1] = s[2] / A_SCALE
            if double:
                ws[2] = s[4] / A_SCALE
        if bias != 0.0:
            ws[n_in - 1] = bias
        net_step(L, ix, fx, w, ws)
        a = ws[yo]
        ok = math.isfinite(a)
        if ok:
            s = control_step(force_of(a, min_force), s, double, friction)
            # written so that a NaN state fails too
            ok = abs(s[0]) <= X_LIMIT and abs(s[2]) <= lim and abs(s[4]) <= lim
        if not ok:
            if not restart:
                break
            failures += 1
            s = start
            ws[:] = 0.0
        elif window > 0:
            buf[ring] = abs(s[0]) + abs(s[1]) + abs(s[2]) + abs(s[3])
            ring = ring + 1 if ring + 1 < window else 0
        t += 1
    jiggle = 0.0
    if window > 0 and t >= window and not restart:
        for j in range(window):            # oldest first
            jiggle += buf[(t + j) % window]
    return t, jiggle, failures


def episode(key, L, ix, fx, w, ws, buf, s0, double, velocities, friction, bias, min_force, max_steps, restart):
    """:func:`_episode` compiled for one network: ``key`` (a compile-time literal) is
    :func:`evornn.nets.specialise.network_key` of ``L``; the loop then runs the network's cells
    inlined, its layer table a constant (one-core networks), or the steps of its own cells with
    the run-time table (the others). Numba kernels only."""
    raise TypeError("pole_kernels.episode runs inside Numba kernels only; use PoleBalance.run")


@overload(episode, jit_options={"cache": True, "error_model": "numpy"})
def _episode_for(key, L, ix, fx, w, ws, buf, s0, double, velocities, friction, bias, min_force, max_steps,
                 restart):
    table, net_step = loop_network(key)
    if table is None:
        def impl(key, L, ix, fx, w, ws, buf, s0, double, velocities, friction, bias, min_force, max_steps,
                 restart):
            return _episode(net_step, L, ix, fx, w, ws, buf, s0, double, velocities, friction, bias,
                            min_force, max_steps, restart)
    else:
        def impl(key, L, ix, fx, w, ws, buf, s0, double, velocities, friction, bias, min_force, max_steps,
                 restart):
            return _episode(net_step, table, ix, fx, w, ws, buf, s0, double, velocities, friction, bias,
                            min_force, max_steps, restart)
    return impl


@njit(cache=True, nogil=True, error_model="numpy")
def run_episodes(key, double, velocities, friction, restart, L, ix, fx, ws_len, W, S0, bias, min_force,
                 max_steps, window, steps, jiggle, failures, rows, n_rows):
    """Chromosome W[p] (P, n_params) from start S0[j] (S, 6) for every pair k = p * S + j.

    The first five arguments are compile-time literals (run through
    :func:`evornn.nets.threads.run_rows` with ``n_literal=5``, which cuts 0..P*S-1 into chunks
    for its threads): ``key = evornn.nets.specialise.network_key(L)`` and the problem's switches,
    so that each network and problem variant runs its own compiled loop. ``bias``: the bias
    input's value (0: none).

    Writes steps (P, S) int64, jiggle (P, S) float64 and failures (P, S) int64 (see
    :func:`episode`). A chromosome with a NaN or Inf balances 0 steps.
    """
    literally(key)
    literally(double)
    literally(velocities)
    literally(friction)
    literally(restart)
    S = S0.shape[0]
    for _ in range(n_rows):
        k = claim(rows, n_rows)        # the next row no thread has taken
        if k >= n_rows:
            break
        p = k // S
        j = k - p * S
        w = W[p]
        if not all_finite(w):
            steps[p, j] = 0
            jiggle[p, j] = 0.0
            failures[p, j] = 0
            continue
        ws = np.empty(ws_len)
        buf = np.empty(window)
        t, jig, nf = episode(key, L, ix, fx, w, ws, buf, S0[j], double, velocities, friction, bias,
                             min_force, max_steps, restart)
        steps[p, j] = t
        jiggle[p, j] = jig
        failures[p, j] = nf
