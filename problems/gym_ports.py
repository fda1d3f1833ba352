"""Numba ports of Gymnasium's classic-control environments, step for step the same numbers.

CartPole-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0 and Pendulum-v1 as Gymnasium
1.x codes them (``gymnasium/envs/classic_control``): the same constants, the same order of
operations, and the same float32 roundings where Gymnasium's NumPy arithmetic is float32 (NumPy 2
keeps a float32 scalar float32 when a Python float meets it: MountainCarContinuous's state after
every step and its force term, Pendulum's torque terms; comparisons of float32 values with Python
floats happen in float32 too). ``tests/test_gym.py`` checks every port against Gymnasium itself,
state, reward, termination and truncation after every step, over random action sequences.

A state is a 4-tuple of float64 (two-dimensional environments leave the last two at 0); an action
is a Discrete index ``k`` or a Box value ``u`` (a float32 value held in a float64, as the
Gymnasium path passes a float32 array). :func:`env_step` is the one step function: :func:`rollout`
(the oracle tests) calls it, and the kernels (:mod:`evornn.problems.gym_kernels`,
:mod:`evornn.problems.gym_lanes`) call :func:`port_step`, the same code for one environment chosen at
compile time (likewise :func:`port_reset` and :func:`port_observe`). Start states come from
:func:`reset`, which draws from the generator Gymnasium's ``reset(seed=...)`` makes (NumPy's,
rebuilt in Numba by :mod:`evornn.problems.gym_seeding`).
"""
import ctypes
import ctypes.util
import math

import numpy as np
from llvmlite import binding as _llvm
from numba import njit, types
from numba.extending import overload

from .gym_seeding import generator, uniform

CARTPOLE, ACROBOT, MOUNTAIN_CAR, MOUNTAIN_CAR_CONTINUOUS, PENDULUM = 0, 1, 2, 3, 4
# Gymnasium id -> port code.
PORTS = {"CartPole-v1": CARTPOLE, "Acrobot-v1": ACROBOT, "MountainCar-v0": MOUNTAIN_CAR,
         "MountainCarContinuous-v0": MOUNTAIN_CAR_CONTINUOUS, "Pendulum-v1": PENDULUM}
N_OBS = {CARTPOLE: 4, ACROBOT: 6, MOUNTAIN_CAR: 2, MOUNTAIN_CAR_CONTINUOUS: 2, PENDULUM: 3}
PI = math.pi

# Gymnasium squares NumPy scalars with ``**`` (and MountainCarContinuous with math.pow): the C
# library's pow and powf, which are not always correctly rounded, so x * x can differ from them in
# the last bit. The ports call the same functions, under names LLVM does not know (it would turn a
# call to "pow" with exponent 2 back into x * x); the names resolve at link time, so Numba's on-disk
# cache keeps working.
_LIBM = ctypes.CDLL(ctypes.util.find_library("m") or None)
_llvm.add_symbol("evornn_gym_pow", ctypes.cast(_LIBM.pow, ctypes.c_void_p).value)
_llvm.add_symbol("evornn_gym_powf", ctypes.cast(_LIBM.powf, ctypes.c_void_p).value)
c_pow = types.ExternalFunction("evornn_gym_pow", types.float64(types.float64, types.float64))
c_powf = types.ExternalFunction("evornn_gym_powf", types.float32(types.float32, types.float32))


@njit(cache=True, error_model="numpy", inline="always")
def _uniform4(seed, h):
    g = generator(seed)
    g, a = uniform(g, -h, h)
    g, b = uniform(g, -h, h)
    g, c = uniform(g, -h, h)
    g, d = uniform(g, -h, h)
    return a, b, c, d


@njit(cache=True, error_model="numpy")
def _reset_cartpole(seed):
    return _uniform4(seed, 0.05)


@njit(cache=True, error_model="numpy")
def _reset_acrobot(seed):
    a, b, c, d = _uniform4(seed, 0.1)
    return (f32(a), f32(b), f32(c), f32(d))


@njit(cache=True, error_model="numpy")
def _reset_pendulum(seed):
    g = generator(seed)
    g, a = uniform(g, -PI, PI)
    g, b = uniform(g, -1.0, 1.0)
    return (a, b, 0.0, 0.0)


@njit(cache=True, error_model="numpy")
def _reset_mountain_car(seed):                     # both MountainCars
    g = generator(seed)
    g, a = uniform(g, -0.6, -0.4)
    return (a, 0.0, 0.0, 0.0)


@njit(cache=True, error_model="numpy")
def reset(env, seed):
    """The start state (4-tuple) Gymnasium's ``reset(seed=seed)`` draws for port ``env`` (seed: uint64),
    from the same generator (:mod:`evornn.problems.gym_seeding`)."""
    if env == CARTPOLE:
        return _reset_cartpole(seed)
    if env == ACROBOT:
        return _reset_acrobot(seed)
    if env == PENDULUM:
        return _reset_pendulum(seed)
    return _reset_mountain_car(seed)


def reset_state(env: int, seed: int) -> np.ndarray:
    """:func:`reset` as an array (4,), from Python."""
    return np.array(reset(env, np.uint64(seed)))


@njit(cache=True, error_model="numpy", inline="always")
def f32(x):
    """x rounded to float32 (and held in a float64)."""
    return np.float64(np.float32(x))


@njit(cache=True, error_model="numpy", inline="always")
def sq(x):
    """x ** 2 as NumPy computes it for a float64 scalar (libm's pow)."""
    return c_pow(x, 2.0)


@njit(cache=True, error_model="numpy", inline="always")
def sq32(x):
    """x ** 2 as NumPy computes it for a float32 scalar (libm's powf), held in a float64."""
    return np.float64(c_powf(np.float32(x), np.float32(2.0)))


@njit(cache=True, error_model="numpy", inline="always")
def remainder(a, b):
    """NumPy's float remainder (np.remainder, ``%`` of NumPy scalars): fmod, then the sign of b."""
    mod = np.fmod(a, b)
    if mod != 0.0:
        if (b < 0.0) != (mod < 0.0):
            mod += b
    else:
        mod = math.copysign(0.0, b)
    return mod


@njit(cache=True, error_model="numpy")
def _observe_acrobot(s, obs):
    obs[0] = f32(math.cos(s[0]))
    obs[1] = f32(math.sin(s[0]))
    obs[2] = f32(math.cos(s[1]))
    obs[3] = f32(math.sin(s[1]))
    obs[4] = f32(s[2])
    obs[5] = f32(s[3])


@njit(cache=True, error_model="numpy")
def _observe_pendulum(s, obs):
    obs[0] = f32(math.cos(s[0]))
    obs[1] = f32(math.sin(s[0]))
    obs[2] = f32(s[1])


@njit(cache=True, error_model="numpy")
def _observe_cartpole(s, obs):
    for j in range(4):
        obs[j] = f32(s[j])


@njit(cache=True, error_model="numpy")
def _observe_mountain_car(s, obs):                 # both MountainCars
    obs[0] = f32(s[0])
    obs[1] = f32(s[1])


@njit(cache=True, error_model="numpy")
def observe(env, s, obs):
    """The observation of state ``s`` into ``obs`` (n_obs,), float32 values as Gymnasium returns them."""
    if env == ACROBOT:
        _observe_acrobot(s, obs)
    elif env == PENDULUM:
        _observe_pendulum(s, obs)
    elif env == CARTPOLE:
        _observe_cartpole(s, obs)
    else:
        _observe_mountain_car(s, obs)


# -- the environments -----------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", inline="always")
def _cartpole(s, k):
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    total_mass = masspole + masscart
    polemass_length = masspole * length
    theta_threshold = 12 * 2 * math.pi / 360
    x, x_dot, theta, theta_dot = s[0], s[1], s[2], s[3]
    force = force_mag if k == 1 else -force_mag
    costheta = math.cos(theta)
    sintheta = math.sin(theta)
    temp = (force + polemass_length * (theta_dot * theta_dot) * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (4.0 / 3.0 - masspole * (costheta * costheta) / total_mass))
    xacc = temp - polemass_length * thetaacc * costheta / total_mass
    x = x + tau * x_dot
    x_dot = x_dot + tau * xacc
    theta = theta + tau * theta_dot
    theta_dot = theta_dot + tau * thetaacc
    terminated = x < -2.4 or x > 2.4 or theta < -theta_threshold or theta > theta_threshold
    return (x, x_dot, theta, theta_dot), 1.0, terminated


# A call, not inlined: four inlined copies (the RK4 step) took 3.6 s more to compile on first use, for
# 3% of the port's speed (71x against 69x Gymnasium at 50 x 1).
@njit(cache=True, error_model="numpy")
def _acrobot_dsdt(a, theta1, theta2, dtheta1, dtheta2):
    m1, m2, l1, lc1, lc2, I1, I2, g = 1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 9.8
    d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * math.cos(theta2)) + I1 + I2
    d2 = m2 * (lc2 ** 2 + l1 * lc2 * math.cos(theta2)) + I2
    phi2 = m2 * lc2 * g * math.cos(theta1 + theta2 - PI / 2.0)
    phi1 = (-m2 * l1 * lc2 * sq(dtheta2) * math.sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * math.sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * math.cos(theta1 - PI / 2) + phi2)
    ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * sq(dtheta1) * math.sin(theta2) - phi2) / (
        m2 * lc2 ** 2 + I2 - sq(d2) / d1)
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return dtheta1, dtheta2, ddtheta1, ddtheta2


@njit(cache=True, error_model="numpy", inline="always")
def _wrap(x, m, M):
    diff = M - m
    while x > M:
        x = x - diff
    while x < m:
        x = x + diff
    return x


@njit(cache=True, error_model="numpy", inline="always")
def _acrobot(s, k):
    a = -1.0 if k == 0 else (0.0 if k == 1 else 1.0)
    dt = 0.2
    dt2 = dt / 2.0
    y0, y1, y2, y3 = s[0], s[1], s[2], s[3]
    k1 = _acrobot_dsdt(a, y0, y1, y2, y3)
    k2 = _acrobot_dsdt(a, y0 + dt2 * k1[0], y1 + dt2 * k1[1], y2 + dt2 * k1[2], y3 + dt2 * k1[3])
    k3 = _acrobot_dsdt(a, y0 + dt2 * k2[0], y1 + dt2 * k2[1], y2 + dt2 * k2[2], y3 + dt2 * k2[3])
    k4 = _acrobot_dsdt(a, y0 + dt * k3[0], y1 + dt * k3[1], y2 + dt * k3[2], y3 + dt * k3[3])
    h = dt / 6.0
    n0 = y0 + h * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
    n1 = y1 + h * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    n2 = y2 + h * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
    n3 = y3 + h * (k1[3] + 2 * k2[3] + 2 * k3[3] + k4[3])
    n0 = _wrap(n0, -PI, PI)
    n1 = _wrap(n1, -PI, PI)
    v1, v2 = 4 * PI, 9 * PI
    n2 = min(max(n2, -v1), v1)
    n3 = min(max(n3, -v2), v2)
    terminated = -math.cos(n0) - math.cos(n1 + n0) > 1.0
    return (n0, n1, n2, n3), (0.0 if terminated else -1.0), terminated


@njit(cache=True, error_model="numpy", inline="always")
def _mountain_car(s, k):
    position, velocity = s[0], s[1]
    velocity = velocity + ((k - 1) * 0.001 + math.cos(3 * position) * (-0.0025))
    velocity = min(max(velocity, -0.07), 0.07)
    position = position + velocity
    position = min(max(position, -1.2), 0.6)
    if position == -1.2 and velocity < 0:
        velocity = 0.0
    terminated = position >= 0.5 and velocity >= 0
    return (position, velocity, 0.0, 0.0), -1.0, terminated


@njit(cache=True, error_model="numpy", inline="always")
def _mountain_car_continuous(s, first, u):
    # Gymnasium keeps the state float32 after the first step; the start state is float64. A value
    # is "f32" when NumPy holds it as a float32 scalar: its arithmetic with Python floats (and its
    # comparisons) is then float32. u is the float32 action.
    position, velocity = s[0], s[1]
    f32state = not first
    if -1.0 > u:                                   # force = min(max(action[0], -1.0), 1.0)
        force, f32force = -1.0, False
    elif 1.0 < u:
        force, f32force = 1.0, False
    else:
        force, f32force = u, True
    fp = f32(force * f32(0.0015)) if f32force else force * 0.0015
    c = math.cos(f32(3.0 * position)) if f32state else math.cos(3.0 * position)
    g = 0.0025 * c
    term = f32(fp - f32(g)) if f32force else fp - g
    if f32state:
        velocity = f32(velocity + f32(term))
    else:
        velocity = velocity + term
    v32 = f32state
    if velocity > (f32(0.07) if v32 else 0.07):
        velocity, v32 = 0.07, False
    if velocity < (f32(-0.07) if v32 else -0.07):
        velocity, v32 = -0.07, False
    p32 = f32state
    if p32:
        position = f32(position + f32(velocity))
    else:
        position = position + velocity
    if position > (f32(0.6) if p32 else 0.6):
        position, p32 = 0.6, False
    if position < (f32(-1.2) if p32 else -1.2):
        position, p32 = -1.2, False
    if position == (f32(-1.2) if p32 else -1.2) and velocity < 0:
        velocity = 0.0
    terminated = position >= (f32(0.45) if p32 else 0.45) and velocity >= 0
    # math.pow(u, 2) in Gymnasium: u is a float32 value, so u * u (48 significant bits at most) is
    # exact in float64, and pow, within 0.52 ulp of the exact result (glibc), returns it too
    reward = (100.0 if terminated else 0.0) - u * u * 0.1
    return (f32(position), f32(velocity), 0.0, 0.0), reward, terminated


@njit(cache=True, error_model="numpy", inline="always")
def _pendulum(s, u):
    th, thdot = s[0], s[1]
    g, m, l, dt = 10.0, 1.0, 1.0, 0.05
    if u < -2.0:
        u = -2.0
    elif u > 2.0:
        u = 2.0
    an = remainder(th + PI, 2 * PI) - PI
    costs = sq(an) + 0.1 * sq(thdot) + f32(f32(0.001) * sq32(u))
    newthdot = thdot + (3 * g / (2 * l) * math.sin(th) + f32(3.0 / (m * l ** 2) * u)) * dt
    newthdot = min(max(newthdot, -8.0), 8.0)
    newth = th + newthdot * dt
    return (newth, newthdot, 0.0, 0.0), -costs, False


@njit(cache=True, error_model="numpy", inline="always")
def env_step(env, s, first, k, u):
    """One step of port ``env`` from state ``s`` (4-tuple): (state, reward, terminated).

    ``first``: the first step after a reset (MountainCarContinuous's start state is float64);
    ``k``: the Discrete action; ``u``: the Box action (float32 value).
    """
    if env == CARTPOLE:
        return _cartpole(s, k)
    if env == ACROBOT:
        return _acrobot(s, k)
    if env == MOUNTAIN_CAR:
        return _mountain_car(s, k)
    if env == MOUNTAIN_CAR_CONTINUOUS:
        return _mountain_car_continuous(s, first, u)
    return _pendulum(s, u)


# -- one environment's code in a kernel ----------------------------------------------------------
# The kernels call port_reset, port_observe and port_step with ``env`` a literal: each resolves to
# that environment's function while Numba types the kernel, so a kernel compiles one environment,
# not all five behind branches on a run-time value (compiling the kernel of CartPole with an mlp, on
# first use: 8.9 s before, 4.1 s now; the same code and the same numbers). With a run-time ``env``
# they are reset, observe and env_step.
def port_reset(env, seed):
    """:func:`reset` of a literal ``env``; Numba kernels only."""
    raise TypeError("port_reset runs inside Numba kernels only; use reset")


def port_observe(env, s, obs):
    """:func:`observe` of a literal ``env``; Numba kernels only."""
    raise TypeError("port_observe runs inside Numba kernels only; use observe")


def port_step(env, s, first, k, u):
    """:func:`env_step` of a literal ``env``; Numba kernels only."""
    raise TypeError("port_step runs inside Numba kernels only; use env_step")


def _env_of(env):
    return env.literal_value if isinstance(env, types.IntegerLiteral) else None


_JIT = {"cache": True, "error_model": "numpy"}
_RESETS = {CARTPOLE: _reset_cartpole, ACROBOT: _reset_acrobot, PENDULUM: _reset_pendulum,
           MOUNTAIN_CAR: _reset_mountain_car, MOUNTAIN_CAR_CONTINUOUS: _reset_mountain_car}
_OBSERVES = {CARTPOLE: _observe_cartpole, ACROBOT: _observe_acrobot, PENDULUM: _observe_pendulum,
             MOUNTAIN_CAR: _observe_mountain_car, MOUNTAIN_CAR_CONTINUOUS: _observe_mountain_car}


@overload(port_reset, prefer_literal=True, jit_options=_JIT)
def _port_reset(env, seed):
    fn = _RESETS.get(_env_of(env))
    if fn is None:
        return lambda env, seed: reset(env, seed)
    return lambda env, seed: fn(seed)


@overload(port_observe, prefer_literal=True, jit_options=_JIT)
def _port_observe(env, s, obs):
    fn = _OBSERVES.get(_env_of(env))
    if fn is None:
        return lambda env, s, obs: observe(env, s, obs)
    return lambda env, s, obs: fn(s, obs)


@overload(port_step, prefer_literal=True, inline="always", jit_options=_JIT)
def _port_step(env, s, first, k, u):
    v = _env_of(env)
    if v == CARTPOLE:
        return lambda env, s, first, k, u: _cartpole(s, k)
    if v == ACROBOT:
        return lambda env, s, first, k, u: _acrobot(s, k)
    if v == MOUNTAIN_CAR:
        return lambda env, s, first, k, u: _mountain_car(s, k)
    if v == MOUNTAIN_CAR_CONTINUOUS:
        return lambda env, s, first, k, u: _mountain_car_continuous(s, first, u)
    if v == PENDULUM:
        return lambda env, s, first, k, u: _pendulum(s, u)
    return lambda env, s, first, k, u: env_step(env, s, first, k, u)


@njit(cache=True, error_model="numpy")
def rollout(env, s0, fresh, ks, us, max_steps, states, rewards, flags):
    """Step port ``env`` from ``s0`` (4,) with actions ks[t] (Discrete) / us[t] (Box) until it
    terminates or is truncated at ``max_steps``: states[t] (4,), rewards[t], flags[t] = (terminated,
    truncated) after step t; returns the number of steps. ``fresh``: ``s0`` is a start state from
    :func:`reset_state` (else a state after a step). For the oracle tests."""
    s = (s0[0], s0[1], s0[2], s0[3])
    t = 0
    while t < ks.shape[0]:
        s, r, term = env_step(env, s, fresh and t == 0, ks[t], us[t])
        for j in range(4):
            states[t, j] = s[j]
        rewards[t] = r
        flags[t, 0] = term
        flags[t, 1] = (not term) and t + 1 >= max_steps
        t += 1
        if flags[t - 1, 0] or flags[t - 1, 1]:
            break
    return t
