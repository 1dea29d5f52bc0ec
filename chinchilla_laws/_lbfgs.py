"""Batched L-BFGS in Numba, written once and compiled per law family (private).

The functions below are *templates*: plain Python that calls a global
``_objective`` it does not define. :func:`rounds_for` clones them (same code
object, new globals in which ``_objective`` is the family's kernel), gives each
clone its own qualified name -- ``lbfgs_round__<family>_<digest>`` and so on,
where the digest covers the kernel's source (:func:`source_digest`) -- and jits
it with ``cache=True``. Numba names its on-disk cache files after the source
file and the qualified name, so every family owns its own cache entries: two
families never collide, and a second family costs one compilation, once per
machine. There is one round function per family, serial and ``nogil``; the
driver runs disjoint sets of runs in Python threads (no Numba parallel region:
nothing to compile twice, and nothing that breaks ``fork`` or depends on
Numba's threading layer).

The kernel contract (see :class:`chinchilla_laws.family.LawFamily`)::

    f = kernel(u, X, aux, target, w, delta, grad)

returns the summed weighted Huber objective at ``u`` and writes its gradient
into ``grad``, in one pass. ``X`` is a C-contiguous ``(n_points, k)`` float64
array, ``aux`` a 1-D float64 side array (empty for most families), ``target``
and ``w`` per-point float64 arrays.

The solver itself works on *free coordinates* ``z``: ``u = Q z + m0`` with
``Q`` and ``m0`` built by :mod:`chinchilla_laws._problem` from the fixed and tied
parameters (``Q`` of shape ``(0, 0)`` means ``u = z``, the common case, with no
arithmetic added). Everything here trusts its inputs and never raises;
non-finite values propagate and are turned into a status by the caller.
"""

from __future__ import annotations

import functools
import hashlib
import math
import types
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ._jit import kernel as jit_decorator

HISTORY = 10
"""L-BFGS memory (curvature pairs kept)."""
WOLFE_C1 = 1e-4
"""Sufficient-decrease (Armijo) constant of the strong-Wolfe line search."""
WOLFE_C2 = 0.9
"""Curvature constant of the strong-Wolfe line search (the usual quasi-Newton value)."""
MAX_LINESEARCH = 40
"""Objective evaluations allowed per line search."""
EXTRAPOLATE_MAX = 10.0
"""A bracketing step grows by at most this factor."""
ZOOM_MARGIN = 0.1
"""A cubic zoom step must lie this fraction of the bracket inside it (else bisect)."""
CURVATURE_MIN = 1e-12
"""A step pair is stored only when ``s.y > CURVATURE_MIN * y.y`` (positive curvature)."""

# per-run exit codes (mirrored by ``chinchilla_laws.parametric.StartStatus``)
RUNNING = -1
CONVERGED = 0
MAX_ITER = 1
LINE_SEARCH_FAILED = 2
NON_FINITE = 3
ABANDONED = 4
DEGENERATE = 5  # set by the callers on inspection of the end point, never by a kernel


Arr = np.ndarray
Args = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _objective(*args: Any) -> float:  # pragma: no cover - replaced in every clone
    raise NotImplementedError("template: rounds_for() binds the family's kernel here")


# ----------------------------------------------------------------------------- templates
# Everything from here to the end of the templates is cloned per family: it may call
# only ``_objective``, the other templates, ``math``, ``np`` and ``nb``.


def _eval(z: Arr, gz: Arr, P: Args, w: Arr, delta: float) -> float:
    """Objective at free coordinates ``z`` (gradient into ``gz``): ``u = Q z + m0``.

    One call site of the kernel (inlined once per caller, which keeps compilation
    short); the constrained path adds two small matrix products.
    """
    X = P[0]
    aux = P[1]
    target = P[2]
    Q = P[3]
    m0 = P[4]
    nz = z.shape[0]
    mapped = Q.shape[0] != 0
    u = z
    gu = gz
    if mapped:
        nu = m0.shape[0]
        u = np.empty(nu)
        gu = np.empty(nu)
        for k in range(nu):
            acc = m0[k]
            for j in range(nz):
                acc += Q[k, j] * z[j]
            u[k] = acc
    f = _objective(u, X, aux, target, w, delta, gu)
    if mapped:
        for j in range(nz):
            acc = 0.0
            for k in range(gu.shape[0]):
                acc += Q[k, j] * gu[k]
            gz[j] = acc
    return f


def _dot(p: Arr, q: Arr) -> float:
    acc = 0.0
    for k in range(p.shape[0]):
        acc += p[k] * q[k]
    return acc


def _inf_norm(p: Arr) -> float:
    acc = 0.0
    for k in range(p.shape[0]):
        v = abs(p[k])
        if v > acc or v != v:
            acc = v
    return acc


def _cubic_min(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float:
    """Minimiser of the cubic through (a, fa, da), (b, fb, db); NaN if none."""
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if disc < 0.0:
        return math.nan
    d2 = math.sqrt(disc)
    if b < a:
        d2 = -d2
    denom = db - da + 2.0 * d2
    if denom == 0.0:
        return math.nan
    return b - (b - a) * (db + d2 - d1) / denom


def _trial(
    u: Arr, p: Arr, t: float, ut: Arr, gt: Arr, P: Args, w: Arr, delta: float
) -> tuple[float, float]:
    for k in range(u.shape[0]):
        ut[k] = u[k] + t * p[k]
    ft = _eval(ut, gt, P, w, delta)
    return ft, _dot(gt, p)


def line_search(
    u: Arr, f0: float, d0: float, p: Arr, t_init: float, ut: Arr, gt: Arr, P: Args, w: Arr,
    delta: float,
) -> tuple[float, float, int, bool]:  # fmt: skip
    """Strong-Wolfe line search (Nocedal & Wright, Alg. 3.5/3.6, cubic zoom).

    On success ``ut``/``gt`` hold the accepted point and its gradient.
    Returns ``(t, f(t), evaluations, accepted)``.
    """
    c1 = WOLFE_C1
    c2 = WOLFE_C2
    max_eval = MAX_LINESEARCH
    t_prev = 0.0
    f_prev = f0
    d_prev = d0
    t = t_init
    nfev = 0
    lo = 0.0
    f_lo = f0
    d_lo = d0
    hi = 0.0
    f_hi = f0
    d_hi = d0
    bracketed = False
    while nfev < max_eval:
        ft, dt = _trial(u, p, t, ut, gt, P, w, delta)
        nfev += 1
        if not (math.isfinite(ft) and math.isfinite(dt)):
            # step into an overflow region: shrink and retry
            t = 0.5 * (t_prev + t) if t > t_prev else 0.5 * t
            if t <= 1e-300:
                return 0.0, f0, nfev, False
            continue
        if ft > f0 + c1 * t * d0 or (nfev > 1 and ft >= f_prev):
            lo, f_lo, d_lo = t_prev, f_prev, d_prev
            hi, f_hi, d_hi = t, ft, dt
            bracketed = True
            break
        if abs(dt) <= -c2 * d0:
            return t, ft, nfev, True
        if dt >= 0.0:
            lo, f_lo, d_lo = t, ft, dt
            hi, f_hi, d_hi = t_prev, f_prev, d_prev
            bracketed = True
            break
        # extrapolate
        t_new = _cubic_min(t_prev, f_prev, d_prev, t, ft, dt)
        t_max = EXTRAPOLATE_MAX * t
        if not math.isfinite(t_new) or t_new <= t * 1.1 or t_new > t_max:
            t_new = min(2.0 * t, t_max)
        t_prev, f_prev, d_prev = t, ft, dt
        t = t_new
    if not bracketed:
        # ran out of evaluations while still decreasing: accept the last point
        if nfev > 0 and t_prev > 0.0 and f_prev < f0:
            _trial(u, p, t_prev, ut, gt, P, w, delta)
            return t_prev, f_prev, nfev + 1, True
        return 0.0, f0, nfev, False
    # zoom
    while nfev < max_eval:
        width = abs(hi - lo)
        if width <= 1e-16 * max(abs(lo), abs(hi)):
            break
        tj = _cubic_min(lo, f_lo, d_lo, hi, f_hi, d_hi)
        left = min(lo, hi)
        right = max(lo, hi)
        margin = ZOOM_MARGIN * width
        if not math.isfinite(tj) or tj < left + margin or tj > right - margin:
            tj = 0.5 * (lo + hi)
        fj, dj = _trial(u, p, tj, ut, gt, P, w, delta)
        nfev += 1
        if not (math.isfinite(fj) and math.isfinite(dj)):
            hi, f_hi, d_hi = tj, math.inf, 0.0
            continue
        if fj > f0 + c1 * tj * d0 or fj >= f_lo:
            hi, f_hi, d_hi = tj, fj, dj
        else:
            if abs(dj) <= -c2 * d0:
                return tj, fj, nfev, True
            if dj * (hi - lo) >= 0.0:
                hi, f_hi, d_hi = lo, f_lo, d_lo
            lo, f_lo, d_lo = tj, fj, dj
    # no strong-Wolfe point: fall back on the best sufficient-decrease point
    if lo > 0.0 and f_lo < f0:
        _trial(u, p, lo, ut, gt, P, w, delta)
        return lo, f_lo, nfev + 1, True
    return 0.0, f0, nfev, False


def lbfgs_advance(
    u: Arr, g: Arr, f_in: float, s_hist: Arr, y_hist: Arr, rho: Arr, state: Arr,
    gamma_in: float, P: Args, w: Arr, delta: float, until_iter: int, max_iter: int,
    gtol: float,
) -> tuple[float, int, float]:  # fmt: skip
    """Advance one L-BFGS run in place until iteration ``until_iter`` or termination.

    The run's memory lives in the arrays passed in, so that a batch can be
    advanced in rounds. ``state`` holds ``(iterations, evaluations, head,
    n_hist)``. Termination: ``max|g| <= gtol`` (CONVERGED); ``max_iter``
    (MAX_ITER); no acceptable step even along ``-g`` (LINE_SEARCH_FAILED). There
    is no function-change stop: a run ends converged only on its gradient.
    Returns ``(f, status, gamma)``.

    A fresh run (no evaluation yet, ``state[1] == 0``) first evaluates its start;
    a start where the objective or gradient is not finite ends as NON_FINITE.
    """
    m = HISTORY
    n = u.shape[0]
    f = f_in
    it = state[0]
    nfev = state[1]
    head = state[2]
    n_hist = state[3]
    gamma = gamma_in
    status = RUNNING
    if nfev == 0:
        f = _eval(u, g, P, w, delta)
        nfev = 1
        state[1] = 1
        if not (math.isfinite(f) and math.isfinite(_inf_norm(g))):
            return f, NON_FINITE, gamma
    p = np.empty(n)
    ut = np.empty(n)
    gt = np.empty(n)
    alpha_buf = np.empty(m)
    while True:
        gnorm = _inf_norm(g)
        if gnorm <= gtol:
            status = CONVERGED
            break
        if it >= max_iter:
            status = MAX_ITER
            break
        if it >= until_iter:
            break
        for k in range(n):
            p[k] = -g[k]
        idx = head
        for _ in range(n_hist):
            idx = (idx - 1) % m
            alpha_buf[idx] = rho[idx] * _dot(s_hist[idx], p)
            for k in range(n):
                p[k] -= alpha_buf[idx] * y_hist[idx, k]
        for k in range(n):
            p[k] *= gamma
        for _ in range(n_hist):
            bcoef = rho[idx] * _dot(y_hist[idx], p)
            for k in range(n):
                p[k] += s_hist[idx, k] * (alpha_buf[idx] - bcoef)
            idx = (idx + 1) % m
        d0 = _dot(g, p)
        if not d0 < 0.0:
            n_hist = 0
            head = 0
            gamma = 1.0
            for k in range(n):
                p[k] = -g[k]
            d0 = -_dot(g, g)
        t0 = 1.0 / max(math.sqrt(_dot(p, p)), 1e-300) if n_hist == 0 else 1.0
        _t, f_new, ne, accepted = line_search(u, f, d0, p, t0, ut, gt, P, w, delta)
        nfev += ne
        if not accepted:
            if n_hist > 0:
                n_hist = 0
                head = 0
                gamma = 1.0
                continue
            status = LINE_SEARCH_FAILED
            break
        it += 1
        sy = 0.0
        yy = 0.0
        for k in range(n):
            sk = ut[k] - u[k]
            yk = gt[k] - g[k]
            sy += sk * yk
            yy += yk * yk
        # store the pair only when it carries positive curvature: writing it first
        # would overwrite the oldest live pair while keeping that pair's rho
        if sy > CURVATURE_MIN * yy and sy > 0.0:
            for k in range(n):
                s_hist[head, k] = ut[k] - u[k]
                y_hist[head, k] = gt[k] - g[k]
            rho[head] = 1.0 / sy
            gamma = sy / yy
            head = (head + 1) % m
            n_hist = min(n_hist + 1, m)
        for k in range(n):
            u[k] = ut[k]
            g[k] = gt[k]
        f = f_new
    state[0] = it
    state[1] = nfev
    state[2] = head
    state[3] = n_hist
    return f, status, gamma


def lbfgs_round(
    active: Arr, U: Arr, G: Arr, F: Arr, SH: Arr, YH: Arr, RHO: Arr, GAMMA: Arr, STATE: Arr,
    STATUS: Arr, weight_sets: Arr, weight_index: Arr, P: Args, delta: float, until_iter: int,
    max_iter: int, gtol: float,
) -> None:  # fmt: skip
    """Advance the runs listed in ``active`` up to ``until_iter`` iterations.

    Compiled once per family, serial and without the GIL: the driver
    (:mod:`chinchilla_laws._solver`) spreads disjoint sets of runs over threads.
    """
    for q in range(active.shape[0]):
        j = active[q]
        f, st, gamma = lbfgs_advance(
            U[j], G[j], F[j], SH[j], YH[j], RHO[j], STATE[j], GAMMA[j], P,
            weight_sets[weight_index[j]], delta, until_iter, max_iter, gtol,
        )  # fmt: skip
        F[j] = f
        STATUS[j] = st
        GAMMA[j] = gamma


# ----------------------------------------------------------------------------- end of templates

_HELPERS = (_eval, _dot, _inf_norm, _cubic_min, _trial, line_search, lbfgs_advance)


class Rounds(NamedTuple):
    """A family's compiled solver functions."""

    evaluate: Callable[..., float]
    advance: Callable[..., tuple[float, int, float]]
    round: Callable[..., None]


def _clone(fn: Any, globs: dict[str, Any], qualname: str) -> Any:
    new = types.FunctionType(fn.__code__, globs, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__qualname__ = qualname
    new.__module__ = fn.__module__
    new.__doc__ = fn.__doc__
    return new


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _source_files(fn: Any, files: set[str], seen: set[int]) -> None:
    """Source files of ``fn`` (a jitted or plain function) and of the functions it calls."""
    py = getattr(fn, "py_func", fn)
    if not isinstance(py, types.FunctionType) or id(py) in seen:
        return
    seen.add(id(py))
    files.add(py.__code__.co_filename)
    names = set(_code_names(py.__code__))
    refs = [py.__globals__[n] for n in names if n in py.__globals__]
    refs += [cell.cell_contents for cell in py.__closure__ or ()]
    for obj in refs:
        if isinstance(obj, types.ModuleType):  # e.g. ``K.exp_into``
            refs += [getattr(obj, n) for n in names if hasattr(obj, n)]
        elif hasattr(obj, "py_func") or isinstance(obj, types.FunctionType):
            _source_files(obj, files, seen)


@functools.cache
def source_digest(kernel: Any) -> str:
    """A short digest of the source files of ``kernel`` and of every function it calls.

    Numba checks a cached function against its own source file only; the rounds
    compiled around a kernel carry this digest in their cache names, so that
    editing the kernel (or a helper it calls) compiles them afresh instead of
    loading rounds that inline the old kernel.
    """
    files: set[str] = set()
    _source_files(kernel, files, set())
    h = hashlib.sha1()
    for path in sorted(files):
        h.update(path.encode())
        try:
            with open(path, "rb") as fh:
                h.update(fh.read())
        except OSError:  # a function defined interactively: its name is all we have
            pass
    return h.hexdigest()[:10]


@functools.cache
def rounds_for(key: str, kernel: Any) -> Rounds:
    """Jit the templates around ``kernel`` under the cache names ``<name>__<key>_<digest>``.

    ``key`` must be unique per kernel (the family registry guarantees it) and
    safe in a file name; ``digest`` is :func:`source_digest` of the kernel.
    Compilation is lazy: nothing compiles until the first call with given
    argument types; a fit compiles the family's kernel and one round function
    (the helpers are compiled into it).
    """
    jit = jit_decorator()
    tag = f"{key}_{source_digest(kernel)}"
    globs = dict(globals())
    globs["_objective"] = kernel
    for fn in _HELPERS:
        globs[fn.__name__] = jit(_clone(fn, globs, f"{fn.__name__}__{tag}"))
    return Rounds(
        evaluate=globs["_eval"],
        advance=globs["lbfgs_advance"],
        round=jit(_clone(lbfgs_round, globs, f"lbfgs_round__{tag}")),
    )
