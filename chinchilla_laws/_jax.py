"""Optional JAX backend: batched L-BFGS in jitted rounds with abandonment (private).

Nothing here is imported by ``import chinchilla_laws``; :func:`solve_rounds` loads
JAX on first use and raises :class:`ImportError` with the install hint when it is
absent.

The algorithm is the Numba backend's (:mod:`chinchilla_laws._solver`): every start
runs L-BFGS (memory ``HISTORY``) with the same strong-Wolfe line search; the
starts advance in rounds; between rounds, on the host, a start stuck far above the
best objective of its group is abandoned by the same rule; and the active starts
are compacted into a few fixed bucket sizes so that the compiled shapes are
reused. All arithmetic runs in float64 inside ``jax.enable_x64(True)`` used as a
context manager, so the process-wide JAX configuration is left alone.

Why an own batched L-BFGS and not jaxopt's ``LBFGS.init_state``/``update``:
jaxopt's state is a pytree and *can* be vmapped and advanced in rounds, but one
``update`` is one whole line search (a ``while_loop``); under ``vmap`` every
update then costs as many objective evaluations as the longest line search in the
bucket, and most lanes idle. Here one step of the jitted loop is one objective
evaluation for every lane: each lane carries its line search as a small state
machine (bracketing, zoom) and, when a step is accepted, starts its next
iteration in the same evaluation, so no lane waits for another. The line search
is the Numba kernel's (Nocedal & Wright Alg. 3.5/3.6 with cubic interpolation),
so iteration counts, statuses and the abandonment rule mean the same on both
backends. The solver needs only ``jax`` (no jaxopt, which is unmaintained and may
be missing on a machine with a newer JAX).

The solver is generic: it minimises any objective ``f(u, w, data, delta)``
written in ``jax.numpy`` (``u`` the solver coordinates of one start, ``w`` the
weights of the points, ``data`` a tuple of arrays, ``delta`` the Huber
threshold), with the gradient from autodiff. A law family plugs in by providing
that function; nothing here depends on the law.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import _lbfgs as K
from ._backends import BatchResult, Progress, SolverOptions
from ._typing import BoolArray, FloatArray, IntArray

if TYPE_CHECKING:
    from ._problem import Problem, WeightSets
    from .family import LawFamily

__all__ = ["BACKEND", "BUCKETS", "JaxBackend", "family_objective", "solve_rounds"]

INSTALL_HINT = "pip install 'chinchilla_laws[jax]'"

HISTORY = K.HISTORY
# the Numba kernel's line-search constants (chinchilla_laws._lbfgs), shared, not restated
C1 = K.WOLFE_C1
C2 = K.WOLFE_C2
MAX_LINESEARCH = K.MAX_LINESEARCH
STEPS_PER_ROUND_PER_ITER = 2
"""Objective evaluations per round per ``options.round_iters`` (about two per iteration)."""

BUCKETS = (512, 4096, 32768, 262144)
"""Batch sizes the active starts are compacted into (besides the first size).

Each size costs one compilation of the round (about 2.3 s of CPU on the 2-core
test machine), so the ladder is coarse and stops at 512: below that a round
costs little more than its dispatch, and the tail of a fit (the last few starts
running to convergence) is cheaper in a 512-lane batch than a further
compilation (measured on the Epoch full grid: 2.6 s less CPU for the first fit,
0.4 s more for a warm one).
"""

MIN_BATCH = 64
"""Smallest first batch: problems with at most 64 starts share one compiled size."""

_PAD = -2  # status of a padding lane: never advanced, never reported
_PHASE_BRACKET = 0
_PHASE_ZOOM = 1


class _Modules(NamedTuple):
    jax: ModuleType
    jnp: ModuleType


def _load() -> _Modules:
    """Import jax and jax.numpy, or raise ImportError with the install hint."""
    try:
        jax = importlib.import_module("jax")
        jnp = importlib.import_module("jax.numpy")
    except ImportError as exc:
        raise ImportError(
            f"backend='jax' needs jax and jaxlib; install them with {INSTALL_HINT}"
        ) from exc
    return _Modules(jax=jax, jnp=jnp)


def _x64() -> Any:
    """Context manager enabling float64 in JAX for its body only.

    ``jax.enable_x64`` in recent JAX, ``jax.experimental.enable_x64`` in older
    releases; neither touches the process-wide configuration.
    """
    jax = _load().jax
    state = getattr(jax, "enable_x64", None)
    if state is not None:
        return state(True)
    return importlib.import_module("jax.experimental").enable_x64()  # pragma: no cover


class _Lanes(NamedTuple):
    """The state of every lane (one start) of a bucket; every leaf has a leading axis.

    The L-BFGS memory is kept in age order (newest pair last; the last ``n_hist``
    rows are valid). The line search of the current iteration is a state machine:
    ``t`` is the step to evaluate next, ``(t_prev, f_prev, d_prev, g_prev)`` the
    previous trial of the bracketing phase, ``(lo, ...)`` and ``(hi, ...)`` the
    bracket of the zoom phase (N&W Alg. 3.6 notation).
    """

    u: Any
    f: Any
    g: Any
    s_hist: Any
    y_hist: Any
    rho: Any
    n_hist: Any
    gamma: Any
    it: Any
    nfev: Any
    status: Any
    p: Any
    d0: Any
    t: Any
    phase: Any
    n_ls: Any
    t_prev: Any
    f_prev: Any
    d_prev: Any
    g_prev: Any
    lo: Any
    f_lo: Any
    d_lo: Any
    g_lo: Any
    hi: Any
    f_hi: Any
    d_hi: Any


_VEC_FIELDS = ("u", "g", "p", "g_prev", "g_lo")  # (P,) each; then s_hist, y_hist (m, P)
_INT_FIELDS = ("n_hist", "it", "nfev", "status", "phase", "n_ls")
_SCA_FIELDS = tuple(
    k for k in _Lanes._fields if k not in (*_VEC_FIELDS, *_INT_FIELDS, "s_hist", "y_hist", "rho")
)  # float scalars; then rho (m,)


class _Packed(NamedTuple):
    """A bucket's state in three arrays (fewer, larger ops to compile and to gather)."""

    vec: Any  # (B, 5 + 2m, P)
    sca: Any  # (B, len(_SCA_FIELDS) + m)
    cnt: Any  # (B, len(_INT_FIELDS)) int64


def _lane_functions(objective: Callable[..., Any]) -> _Compiled:
    """The jitted ``init``, ``run_round`` and ``gather`` of a bucket, for one objective."""
    jax, jnp = _load()
    lax = jax.lax
    m = HISTORY
    value_and_grad = jax.value_and_grad(objective)
    nv = len(_VEC_FIELDS)
    ns = len(_SCA_FIELDS)

    def pack(st: _Lanes) -> _Packed:
        """One lane's fields into its rows of the three state arrays."""
        vec = jnp.concatenate(
            [jnp.stack([getattr(st, k) for k in _VEC_FIELDS]), st.s_hist, st.y_hist]
        )
        sca = jnp.concatenate([jnp.stack([getattr(st, k) for k in _SCA_FIELDS]), st.rho])
        cnt = jnp.stack([getattr(st, k) for k in _INT_FIELDS])
        return _Packed(vec=vec, sca=sca, cnt=cnt)

    def unpack(pk: _Packed) -> _Lanes:
        fields: dict[str, Any] = {k: pk.vec[i] for i, k in enumerate(_VEC_FIELDS)}
        fields["s_hist"] = pk.vec[nv : nv + m]
        fields["y_hist"] = pk.vec[nv + m :]
        fields.update({k: pk.sca[i] for i, k in enumerate(_SCA_FIELDS)})
        fields["rho"] = pk.sca[ns:]
        fields.update({k: pk.cnt[i] for i, k in enumerate(_INT_FIELDS)})
        return _Lanes(**fields)

    def cubic_min(a: Any, fa: Any, da: Any, b: Any, fb: Any, db: Any) -> Any:
        """Minimiser of the cubic through (a, fa, da), (b, fb, db); NaN if none."""
        d1 = da + db - 3.0 * (fa - fb) / (a - b)
        disc = d1 * d1 - da * db
        d2 = jnp.sqrt(jnp.maximum(disc, 0.0))
        d2 = jnp.where(b < a, -d2, d2)
        denom = db - da + 2.0 * d2
        safe = jnp.where(denom == 0.0, 1.0, denom)
        out = b - (b - a) * (db + d2 - d1) / safe
        return jnp.where((disc < 0.0) | (denom == 0.0), jnp.nan, out)

    def dot(a: Any, b: Any) -> Any:
        # an elementwise product and a sum fuse; a vmapped jnp.dot becomes dot_general
        return jnp.sum(a * b, axis=-1)

    def direction(g: Any, s_hist: Any, y_hist: Any, rho: Any, n_hist: Any, gamma: Any) -> Any:
        """Two-loop recursion over the valid (last ``n_hist``) pairs; ``-H g``."""
        valid = jnp.arange(m) >= m - n_hist  # age order: the newest pairs are last

        def newest_first(q: Any, pair: tuple[Any, Any, Any, Any]) -> tuple[Any, Any]:
            s, yv, r, ok = pair
            a = jnp.where(ok, r * dot(s, q), 0.0)
            return q - a * yv, a

        def oldest_first(q: Any, pair: tuple[Any, Any, Any, Any, Any]) -> tuple[Any, None]:
            s, yv, r, ok, a = pair
            b = r * dot(yv, q)
            return q + jnp.where(ok, s * (a - b), 0.0), None

        rev = (s_hist[::-1], y_hist[::-1], rho[::-1], valid[::-1])
        q, alphas = lax.scan(newest_first, -g, rev)
        q, _ = lax.scan(oldest_first, q * gamma, (s_hist, y_hist, rho, valid, alphas[::-1]))
        return q

    def begin_iteration(st: _Lanes) -> _Lanes:
        """New direction from the memory and the first trial step of its line search."""
        p = direction(st.g, st.s_hist, st.y_hist, st.rho, st.n_hist, st.gamma)
        d0 = dot(st.g, p)
        descent = d0 < 0.0
        n_hist = jnp.where(descent, st.n_hist, 0)
        gamma = jnp.where(descent, st.gamma, 1.0)
        p = jnp.where(descent, p, -st.g)
        d0 = jnp.where(descent, d0, -dot(st.g, st.g))
        t0 = jnp.where(n_hist == 0, 1.0 / jnp.maximum(jnp.sqrt(dot(p, p)), 1e-300), 1.0)
        return st._replace(
            n_hist=n_hist,
            gamma=gamma,
            p=p,
            d0=d0,
            t=t0,
            phase=jnp.asarray(_PHASE_BRACKET, dtype=st.phase.dtype),
            n_ls=jnp.zeros_like(st.n_ls),
            t_prev=jnp.zeros_like(st.t_prev),
            f_prev=st.f,
            d_prev=d0,
            g_prev=st.g,
        )

    def terminal(st: _Lanes, max_iter: Any, gtol: Any) -> Any:
        """Status after an accepted step (or at the start): converged, max_iter, running."""
        gnorm = jnp.max(jnp.abs(st.g))
        return jnp.where(
            gnorm <= gtol, K.CONVERGED, jnp.where(st.it >= max_iter, K.MAX_ITER, K.RUNNING)
        )

    def init_lane(u: Any, w: Any, data: Any, delta: Any, max_iter: Any, gtol: Any) -> _Packed:
        f, g = value_and_grad(u, w, data, delta)
        n = u.shape[0]
        zero_i = jnp.asarray(0, dtype=jnp.int64)
        zero_f = jnp.asarray(0.0, dtype=u.dtype)
        st = _Lanes(
            u=u,
            f=f,
            g=g,
            s_hist=jnp.zeros((m, n), u.dtype),
            y_hist=jnp.zeros((m, n), u.dtype),
            rho=jnp.zeros(m, u.dtype),
            n_hist=zero_i,
            gamma=jnp.asarray(1.0, dtype=u.dtype),
            it=zero_i,
            nfev=jnp.asarray(1, dtype=jnp.int64),
            status=jnp.asarray(K.RUNNING, dtype=jnp.int64),
            p=jnp.zeros_like(u),
            d0=zero_f,
            t=zero_f,
            phase=zero_i,
            n_ls=zero_i,
            t_prev=zero_f,
            f_prev=f,
            d_prev=zero_f,
            g_prev=g,
            lo=zero_f,
            f_lo=f,
            d_lo=zero_f,
            g_lo=g,
            hi=zero_f,
            f_hi=f,
            d_hi=zero_f,
        )
        finite = jnp.isfinite(f) & jnp.all(jnp.isfinite(g))
        status = jnp.where(finite, terminal(st, max_iter, gtol), K.NON_FINITE)
        return pack(begin_iteration(st)._replace(status=status))

    def zoom_trial(st: _Lanes) -> tuple[Any, Any]:
        """Next trial inside the bracket, and whether the zoom must stop (no width/budget)."""
        width = jnp.abs(st.hi - st.lo)
        stop = (st.n_ls >= MAX_LINESEARCH) | (
            width <= 1e-16 * jnp.maximum(jnp.abs(st.lo), jnp.abs(st.hi))
        )
        tj = cubic_min(st.lo, st.f_lo, st.d_lo, st.hi, st.f_hi, st.d_hi)
        left = jnp.minimum(st.lo, st.hi)
        right = jnp.maximum(st.lo, st.hi)
        margin = K.ZOOM_MARGIN * width
        bad = ~jnp.isfinite(tj) | (tj < left + margin) | (tj > right - margin)
        return jnp.where(bad, 0.5 * (st.lo + st.hi), tj), stop

    def step_lane(pk: _Packed, w: Any, data: Any, delta: Any, max_iter: Any, gtol: Any) -> _Packed:
        """One objective evaluation of one lane and the line-search transition it implies."""
        st = unpack(pk)
        run = st.status == K.RUNNING
        ut = st.u + st.t * st.p
        ft, gt = value_and_grad(ut, w, data, delta)
        dt = dot(gt, st.p)
        n_ls = st.n_ls + 1
        st = st._replace(n_ls=n_ls, nfev=st.nfev + 1)
        finite = jnp.isfinite(ft) & jnp.isfinite(dt)
        f0, d0, t = st.f, st.d0, st.t
        armijo_fail = ft > f0 + C1 * t * d0
        curvature_ok = jnp.abs(dt) <= -C2 * d0

        # ---- bracketing phase (N&W Alg. 3.5)
        b_hi = finite & (armijo_fail | ((n_ls > 1) & (ft >= st.f_prev)))
        b_acc = finite & ~b_hi & curvature_ok
        b_lo = finite & ~b_hi & ~b_acc & (dt >= 0.0)
        b_ext = finite & ~b_hi & ~b_acc & ~b_lo
        t_shrunk = jnp.where(t > st.t_prev, 0.5 * (st.t_prev + t), 0.5 * t)
        t_cub = cubic_min(st.t_prev, st.f_prev, st.d_prev, t, ft, dt)
        t_max = K.EXTRAPOLATE_MAX * t
        t_ext = jnp.where(
            ~jnp.isfinite(t_cub) | (t_cub <= 1.1 * t) | (t_cub > t_max),
            jnp.minimum(2.0 * t, t_max),
            t_cub,
        )
        # entering the zoom: [t_prev, t] when t overshoots, [t, t_prev] when dt >= 0
        bz_lo = jnp.where(b_hi, st.t_prev, t)
        bz_flo = jnp.where(b_hi, st.f_prev, ft)
        bz_dlo = jnp.where(b_hi, st.d_prev, dt)
        bz_glo = jnp.where(b_hi, st.g_prev, gt)
        bz_hi = jnp.where(b_hi, t, st.t_prev)
        bz_fhi = jnp.where(b_hi, ft, st.f_prev)
        bz_dhi = jnp.where(b_hi, dt, st.d_prev)
        # after an extrapolation the current trial becomes the previous one
        ext_prev = b_ext
        nb_t_prev = jnp.where(ext_prev, t, st.t_prev)
        nb_f_prev = jnp.where(ext_prev, ft, st.f_prev)
        nb_d_prev = jnp.where(ext_prev, dt, st.d_prev)
        nb_g_prev = jnp.where(ext_prev, gt, st.g_prev)
        nb_t = jnp.where(finite, t_ext, t_shrunk)
        b_fail_tiny = ~finite & (t_shrunk <= 1e-300)
        # out of evaluations while still decreasing: accept the last decreasing trial
        b_exhaust = (b_ext | (~finite & ~b_fail_tiny)) & (n_ls >= MAX_LINESEARCH)
        b_exh_ok = b_exhaust & (nb_t_prev > 0.0) & (nb_f_prev < f0)

        # ---- zoom phase (N&W Alg. 3.6)
        z_hi_move = ~finite | armijo_fail | (ft >= st.f_lo)
        z_acc = finite & ~z_hi_move & curvature_ok
        z_lo_move = finite & ~z_hi_move & ~z_acc
        flip = z_lo_move & (dt * (st.hi - st.lo) >= 0.0)
        z_hi = jnp.where(z_hi_move, t, jnp.where(flip, st.lo, st.hi))
        z_fhi = jnp.where(
            z_hi_move, jnp.where(finite, ft, jnp.inf), jnp.where(flip, st.f_lo, st.f_hi)
        )
        z_dhi = jnp.where(z_hi_move, jnp.where(finite, dt, 0.0), jnp.where(flip, st.d_lo, st.d_hi))
        z_lo = jnp.where(z_lo_move, t, st.lo)
        z_flo = jnp.where(z_lo_move, ft, st.f_lo)
        z_dlo = jnp.where(z_lo_move, dt, st.d_lo)
        z_glo = jnp.where(z_lo_move, gt, st.g_lo)

        zoom = st.phase == _PHASE_ZOOM
        to_zoom = ~zoom & (b_hi | b_lo)
        in_zoom = (zoom & ~z_acc) | to_zoom
        bracket = st._replace(
            lo=jnp.where(zoom, z_lo, bz_lo),
            f_lo=jnp.where(zoom, z_flo, bz_flo),
            d_lo=jnp.where(zoom, z_dlo, bz_dlo),
            g_lo=jnp.where(zoom, z_glo, bz_glo),
            hi=jnp.where(zoom, z_hi, bz_hi),
            f_hi=jnp.where(zoom, z_fhi, bz_fhi),
            d_hi=jnp.where(zoom, z_dhi, bz_dhi),
        )
        z_next, z_stop = zoom_trial(bracket)
        z_fallback = in_zoom & z_stop
        z_fb_ok = z_fallback & (bracket.lo > 0.0) & (bracket.f_lo < f0)

        # ---- outcome of this evaluation
        acc_trial = jnp.where(zoom, z_acc, b_acc)
        acc_prev = ~zoom & b_exh_ok
        acc_lo = z_fb_ok
        accept = acc_trial | acc_prev | acc_lo
        fail = (~zoom & (b_fail_tiny | (b_exhaust & ~b_exh_ok))) | (z_fallback & ~z_fb_ok)
        t_acc = jnp.where(acc_trial, t, jnp.where(acc_prev, nb_t_prev, bracket.lo))
        f_acc = jnp.where(acc_trial, ft, jnp.where(acc_prev, nb_f_prev, bracket.f_lo))
        g_acc = jnp.where(acc_trial, gt, jnp.where(acc_prev, nb_g_prev, bracket.g_lo))

        # continuing line search
        cont = bracket._replace(
            phase=jnp.where(in_zoom, _PHASE_ZOOM, _PHASE_BRACKET),
            t=jnp.where(in_zoom, z_next, nb_t),
            t_prev=nb_t_prev,
            f_prev=nb_f_prev,
            d_prev=nb_d_prev,
            g_prev=nb_g_prev,
        )

        # accepted step: move, update the memory with a positive-curvature pair
        u_new = st.u + t_acc * st.p
        s = u_new - st.u
        yv = g_acc - st.g
        sy = dot(s, yv)
        yy = dot(yv, yv)
        store = (sy > K.CURVATURE_MIN * yy) & (sy > 0.0)
        s_hist = jnp.where(store, jnp.concatenate([st.s_hist[1:], s[None]]), st.s_hist)
        y_hist = jnp.where(store, jnp.concatenate([st.y_hist[1:], yv[None]]), st.y_hist)
        rho = jnp.where(
            store, jnp.concatenate([st.rho[1:], (1.0 / jnp.where(store, sy, 1.0))[None]]), st.rho
        )
        moved = st._replace(
            u=u_new,
            f=f_acc,
            g=g_acc,
            s_hist=s_hist,
            y_hist=y_hist,
            rho=rho,
            n_hist=jnp.where(store, jnp.minimum(st.n_hist + 1, m), st.n_hist),
            gamma=jnp.where(store, sy / jnp.where(store, yy, 1.0), st.gamma),
            it=st.it + 1,
        )
        moved_status = terminal(moved, max_iter, gtol)
        # failed search: retry along -g from an empty memory, or stop
        retry = fail & (st.n_hist > 0)
        reset = st._replace(n_hist=jnp.zeros_like(st.n_hist), gamma=jnp.ones_like(st.gamma))
        restart_from = jax.tree_util.tree_map(lambda a, b: jnp.where(accept, a, b), moved, reset)
        restarted = begin_iteration(restart_from)
        new_iter = accept | retry
        out = jax.tree_util.tree_map(lambda a, b: jnp.where(new_iter, a, b), restarted, cont)
        status = jnp.where(
            accept,
            moved_status,
            jnp.where(fail & ~retry, K.LINE_SEARCH_FAILED, st.status),
        )
        new = pack(out._replace(status=status))
        return _Packed(*(jnp.where(run, a, b) for a, b in zip(new, pk, strict=True)))

    init_v = jax.vmap(init_lane, in_axes=(0, 0, None, None, None, None))
    step_v = jax.vmap(step_lane, in_axes=(0, 0, None, None, None, None))

    def run_round(
        pk: _Packed, w: Any, data: Any, delta: Any, max_iter: Any, gtol: Any, n_steps: Any
    ) -> Any:
        def body(_: Any, s: _Packed) -> _Packed:
            return step_v(s, w, data, delta, max_iter, gtol)  # type: ignore[no-any-return]

        return lax.fori_loop(0, n_steps, body, pk)

    def gather(pk: _Packed, w: Any, idx: Any, status: Any) -> tuple[_Packed, Any]:
        out = jax.tree_util.tree_map(lambda a: jnp.take(a, idx, axis=0), pk)
        cnt = out.cnt.at[:, _INT_FIELDS.index("status")].set(status)
        return out._replace(cnt=cnt), jnp.take(w, idx, axis=0)

    def summary(pk: _Packed) -> tuple[Any, ...]:
        """What the host reads after a round: u, f, g, iterations, evaluations, status."""
        st = jax.vmap(unpack)(pk)
        return st.u, st.f, st.g, st.it, st.nfev, st.status

    def set_status(pk: _Packed, status: Any, where: Any) -> _Packed:
        """Overwrite the status of the lanes flagged in ``where``."""
        col = _INT_FIELDS.index("status")
        new = jnp.where(where, status, pk.cnt[:, col])
        return pk._replace(cnt=pk.cnt.at[:, col].set(new))

    return _Compiled(
        init=jax.jit(init_v),
        run_round=jax.jit(run_round),
        gather=jax.jit(gather),
        summary=jax.jit(summary),
        set_status=jax.jit(set_status),
    )


class _Compiled(NamedTuple):
    init: Any
    run_round: Any
    gather: Any
    summary: Any
    set_status: Any


_COMPILED: dict[Callable[..., Any], _Compiled] = {}


def _functions(objective: Callable[..., Any]) -> _Compiled:
    """The jitted lane functions of ``objective`` (built once per objective)."""
    if objective not in _COMPILED:
        _COMPILED[objective] = _lane_functions(objective)
    return _COMPILED[objective]


def bucket_size(n_active: int, current: int, buckets: Sequence[int] = BUCKETS) -> int:
    """The batch size for ``n_active`` lanes, now in a batch of ``current``.

    The smallest bucket holding them, taken only when it at most halves the
    batch (a new size costs a compilation); otherwise ``current``.
    """
    fits = [b for b in buckets if b >= n_active]
    target = min(fits) if fits else current
    return target if 2 * target <= current else current


@dataclass
class _Host:
    """Host copies of every start's end state, indexed by start."""

    u: FloatArray
    f: FloatArray
    g: FloatArray
    nit: IntArray
    nfev: IntArray
    status: IntArray
    f_check: FloatArray  # objective at the last abandonment check
    it_check: IntArray  # iterations at the last abandonment check


def _abandon(
    host: _Host,
    running: IntArray,
    weight_index: IntArray,
    n_groups: int,
    options: SolverOptions,
    admissible: Callable[[FloatArray], BoolArray],
) -> IntArray:
    """Starts among ``running`` to abandon now: the Numba backend's rule, per start.

    A start is checked once it has made ``round_iters`` iterations since its last
    check (on the Numba backend every start is checked every ``round_iters``
    iterations): after ``abandon_after`` iterations, it is abandoned when its
    objective exceeds its group's best admissible objective by more than a
    fraction ``abandon_gap`` and its decrease since the last check is below
    ``abandon_progress`` times that gap.
    """
    due = running[host.nit[running] - host.it_check[running] >= options.round_iters]
    if not due.size:
        return due
    ok = np.isfinite(host.f) & admissible(host.u)
    best = np.full(n_groups, np.inf)
    np.minimum.at(best, weight_index, np.where(ok, host.f, np.inf))
    fb = best[weight_index[due]]
    fr = host.f[due]
    gap = fr - fb
    stuck = (
        (host.nit[due] >= options.abandon_after)
        & (gap > options.abandon_gap * np.abs(fb))
        & ((host.f_check[due] - fr) < options.abandon_progress * gap)
    )
    host.f_check[due] = fr
    host.it_check[due] = host.nit[due]
    out: IntArray = due[stuck]
    return out


def solve_rounds(
    objective: Callable[..., Any],
    starts: FloatArray,
    weight_sets: FloatArray,
    weight_index: IntArray,
    data: tuple[FloatArray, ...],
    delta: float,
    options: SolverOptions,
    progress: Callable[[int, int], None] | None = None,
    admissible: Callable[[FloatArray], BoolArray] | None = None,
) -> BatchResult:
    """Minimise ``objective`` from every row of ``starts`` in jitted rounds, in JAX.

    Same contract as the Numba backend (:mod:`chinchilla_laws._solver`): ``starts`` is
    ``(S, P)`` in solver coordinates; start ``j`` weights the points with
    ``weight_sets[weight_index[j]]`` and belongs to that group for abandonment;
    ``options.gtol`` bounds ``max|grad|``; ``progress(finished, total)`` is called
    after every round. ``objective(u, w, data, delta)`` is written in
    ``jax.numpy``; ``admissible(u)`` (host side, ``(k, P) -> (k,)`` bool) says
    which end points may set a group's best (default: every finite one).

    Each round advances every active lane of the bucket by a fixed number of
    objective evaluations; between rounds the host abandons stuck starts (see
    :func:`_abandon`) and, when the active starts fit a bucket of
    :data:`BUCKETS` at most half the current size, compacts them into it.
    Every decision is taken on the host from the values after a round, so the
    result is deterministic.

    Raises
    ------
    ImportError
        When jax or jaxlib is missing (with the install hint).
    """
    mods = _load()
    jax, jnp = mods.jax, mods.jnp
    fn = _functions(objective)
    S, P = starts.shape
    widx = np.ascontiguousarray(weight_index, dtype=np.int64)
    n_groups = int(weight_sets.shape[0])
    is_ok = admissible if admissible is not None else (lambda u: np.ones(u.shape[0], bool))
    steps = STEPS_PER_ROUND_PER_ITER * options.round_iters if options.abandon else 64
    host = _Host(
        u=np.array(starts, dtype=np.float64),
        f=np.full(S, np.nan),
        g=np.full((S, P), np.nan),
        nit=np.zeros(S, dtype=np.int64),
        nfev=np.zeros(S, dtype=np.int64),
        status=np.full(S, K.RUNNING, dtype=np.int64),
        f_check=np.empty(S),
        it_check=np.zeros(S, dtype=np.int64),
    )
    first_size = max(S, MIN_BATCH)  # small problems share one compiled size
    lane_of = np.full(first_size, -1, dtype=np.int64)  # start held by each lane; -1: padding
    lane_of[:S] = np.arange(S)
    lane_idx = np.minimum(np.arange(first_size), S - 1)
    with _x64():
        f64 = jnp.float64
        dev_data = tuple(jnp.asarray(a, dtype=f64) for a in data)
        dev_delta = jnp.asarray(delta, dtype=f64)
        dev_max_iter = jnp.asarray(options.max_iter, dtype=jnp.int64)
        dev_gtol = jnp.asarray(options.gtol, dtype=f64)
        w = jnp.asarray(weight_sets, dtype=f64)[jnp.asarray(widx[lane_idx])]
        u0 = jnp.asarray(starts[lane_idx], dtype=f64)
        st = fn.init(u0, w, dev_data, dev_delta, dev_max_iter, dev_gtol)
        if first_size > S:
            pad = np.where(lane_of >= 0, K.RUNNING, _PAD)
            st = fn.set_status(st, jnp.asarray(pad, dtype=jnp.int64), jnp.asarray(lane_of < 0))
        dev_steps = jnp.asarray(steps, dtype=jnp.int64)
        first = True
        while True:
            if not first:
                st = fn.run_round(st, w, dev_data, dev_delta, dev_max_iter, dev_gtol, dev_steps)
            u, f, g, nit, nfev, status = jax.device_get(fn.summary(st))
            real = lane_of >= 0
            rows = lane_of[real]
            host.u[rows] = u[real]
            host.f[rows] = f[real]
            host.g[rows] = g[real]
            host.nit[rows] = nit[real]
            host.nfev[rows] = nfev[real]
            host.status[rows] = status[real]
            if first:
                host.f_check[:] = host.f
                first = False
            running = np.flatnonzero(host.status == K.RUNNING)
            if options.abandon and running.size:
                dropped = _abandon(host, running, widx, n_groups, options, is_ok)
                if dropped.size:
                    host.status[dropped] = K.ABANDONED
                    running = np.flatnonzero(host.status == K.RUNNING)
            if progress is not None:
                progress(S - running.size, S)
            if not running.size:
                break
            lane_status = np.where(real, host.status[np.maximum(lane_of, 0)], _PAD)
            size = bucket_size(running.size, lane_of.size, BUCKETS)
            if size != lane_of.size:
                pos = np.full(S, -1, dtype=np.int64)
                pos[rows] = np.flatnonzero(real)
                keep = pos[running]  # lanes of the running starts, in start order
                idx = np.concatenate([keep, np.full(size - keep.size, keep[0])])
                lane_of = np.concatenate([running, np.full(size - keep.size, -1)])
                new_status = np.where(lane_of >= 0, K.RUNNING, _PAD)
                st, w = fn.gather(st, w, jnp.asarray(idx), jnp.asarray(new_status, dtype=jnp.int64))
            elif np.any(lane_status != status):
                changed = jnp.asarray(lane_status != status)
                st = fn.set_status(st, jnp.asarray(lane_status, dtype=jnp.int64), changed)
    return BatchResult(
        u=host.u,
        f=host.f,
        grad=host.g,
        nit=host.nit,
        nfev=host.nfev,
        status=host.status,
    )


def family_objective(family: LawFamily) -> Callable[..., Any]:
    """``objective(z, w, data, delta)`` of :func:`solve_rounds` for a law family.

    ``data = (X, aux, target, Q, m0)``: the family's ``jax_objective`` at
    ``u = Q z + m0`` (the solver's free coordinates, fixed and tied parameters
    mapped as in the Numba solver; ``Q`` empty means ``u = z``). One function per
    family, so that its compiled rounds are reused.
    """
    return _family_objective(family)


@functools.cache
def _family_objective(family: LawFamily) -> Callable[..., Any]:
    def objective(z: Any, w: Any, data: tuple[Any, ...], delta: Any) -> Any:
        X, aux, target, Q, m0 = data
        u = z if Q.shape[0] == 0 else Q @ z + m0
        return family.jax_objective(u, X, aux, target, w, delta)

    return objective


class JaxBackend:
    """The backend contract (:mod:`chinchilla_laws._backends`) over :func:`solve_rounds`."""

    name = "jax"
    options_honoured = frozenset(
        {"max_iter", "gtol", "abandon", "round_iters", "abandon_after", "abandon_gap",
         "abandon_progress"}
    )  # fmt: skip

    def solve(
        self,
        problem: Problem,
        starts: FloatArray,
        weight_sets: WeightSets,
        options: SolverOptions,
        progress: Progress | None = None,
    ) -> BatchResult:
        abandon = problem.family.abandon if options.abandon is None else options.abandon
        opts = dataclasses.replace(options, abandon=abandon)
        return solve_rounds(
            family_objective(problem.family),
            starts,
            weight_sets.sets,
            weight_sets.index,
            problem.kernel_args,
            problem.delta,
            opts,
            progress,
            lambda z: problem.physical(problem.to_theta(z)),
        )


BACKEND = JaxBackend()
