"""Optional JAX backend: every problem of a batch as one vmapped L-BFGS solve (private).

Nothing here is imported by ``import chinchilla_laws``; :func:`solve_batch` loads JAX
on first use and raises :class:`ImportError` with the install hint when it is absent.

All arithmetic runs in float64 inside ``jax.enable_x64(True)`` used as a context
manager, so the process-wide JAX configuration is left alone.

jaxopt is unmaintained upstream. It is touched only by :func:`_lbfgs_minimize` (and
the import in :func:`_load`); swapping it for optax or optimistix means rewriting
that one function.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import _kernels as K
from ._solver import BatchResult
from ._typing import FloatArray, IntArray

if TYPE_CHECKING:
    from .parametric import _Prepared

__all__ = ["solve_batch"]

INSTALL_HINT = "pip install 'chinchilla_laws[jax]'"

# the exact warning jaxopt emits at import (jaxopt/__init__.py, 0.8.x)
_JAXOPT_IMPORT_WARNING = r"JAXopt is no longer maintained\. See https://docs\.jax\.dev/en/latest/"

HISTORY = K.HISTORY
# Under vmap every outer iteration waits for the longest line search of the batch,
# so a short cap pays: a failed search only costs a history reset and a retry.
MAX_LINESEARCH = 10
# jaxopt's zoom accepts "approximate Wolfe" steps up to c3 = 1e-6 relative above the start
APPROX_WOLFE = 1e-6


class _Modules(NamedTuple):
    jax: ModuleType
    jnp: ModuleType
    jaxopt: ModuleType


def _load() -> _Modules:
    """Import jax, jax.numpy and jaxopt, or raise ImportError with the install hint."""
    try:
        jax = importlib.import_module("jax")
        jnp = importlib.import_module("jax.numpy")
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=_JAXOPT_IMPORT_WARNING, category=DeprecationWarning
            )
            jaxopt = importlib.import_module("jaxopt")
    except ImportError as exc:
        raise ImportError(
            f"backend='jax' needs jax, jaxlib and jaxopt; install them with {INSTALL_HINT}"
        ) from exc
    return _Modules(jax=jax, jnp=jnp, jaxopt=jaxopt)


def _objective(u: Any, w: Any, x: Any, y: Any, logl: Any, delta: Any) -> Any:
    """``sum_i w_i * huber(LSE(u0 - u3 x_i, u1 - u4 y_i, u2) - logl_i)`` in JAX.

    The same expression as :func:`chinchilla_laws._kernels.objective_grad`: a
    max-shifted log-sum-exp (``jax.nn.logsumexp``) and the branch-free Huber
    ``c * (r - c / 2)`` with ``c = clip(r, -delta, delta)``, which is ``r**2 / 2``
    inside ``delta`` and ``delta * (|r| - delta / 2)`` outside.
    """
    jax, jnp, _ = _load()
    p1 = u[0] - u[3] * x
    p2 = u[1] - u[4] * y
    p3 = jnp.broadcast_to(u[2], x.shape)
    r = jax.nn.logsumexp(jnp.stack([p1, p2, p3]), axis=0) - logl
    c = jnp.clip(r, -delta, delta)
    return jnp.sum(w * c * (r - 0.5 * c))


class _Exit(NamedTuple):
    """Where one L-BFGS run ended (JAX scalars/arrays; batched under vmap)."""

    u: Any
    f: Any
    grad: Any
    nit: Any
    nfev: Any
    failed: Any  # the line search found no decrease even from an empty history


def _lbfgs_minimize(
    fun: Callable[..., Any], u0: Any, args: tuple[Any, ...], max_iter: Any, g_abs: Any
) -> _Exit:
    """Minimise ``fun(u, *args)`` from ``u0`` with jaxopt's L-BFGS: THE jaxopt adapter.

    One problem, traceable (vmap it for a batch). Memory ``HISTORY``, strong-Wolfe
    ("zoom") line search. The loop is ours, around ``LBFGS.init_state/update``, so
    that it stops on ``max|grad| <= g_abs`` (jaxopt's own ``tol`` is on the l2 norm)
    and, like the Numba kernel, recovers from a failed line search by dropping the
    curvature history and retrying along ``-grad``; a failure from an empty
    history ends the run. A rejected step never moves the point.
    """
    jax, jnp, jaxopt = _load()
    solver = jaxopt.LBFGS(
        fun=fun,
        maxiter=1,  # unused: the loop below is ours
        tol=0.0,
        linesearch="zoom",
        linesearch_init="max",  # try the unit L-BFGS step first
        maxls=MAX_LINESEARCH,
        history_size=HISTORY,
        implicit_diff=False,
        jit=True,  # lax loops in the line search (we run inside jax.jit anyway)
        unroll=False,
    )
    state0 = solver.init_state(u0, *args)

    def gnorm(g: Any) -> Any:
        return jnp.max(jnp.abs(g))

    def finite(state: Any) -> Any:
        return jnp.isfinite(state.value) & jnp.all(jnp.isfinite(state.grad))

    def cond(carry: tuple[Any, Any, Any, Any]) -> Any:
        _, state, _, failed = carry
        return (state.iter_num < max_iter) & (gnorm(state.grad) > g_abs) & finite(state) & ~failed

    def body(carry: tuple[Any, Any, Any, Any]) -> tuple[Any, Any, Any, Any]:
        u, state, fresh, _ = carry
        step = solver.update(u, state, *args)
        new = step.state
        # jaxopt's zoom accepts "approximate Wolfe" steps (value up to c3 = 1e-6
        # relative above the start); anything worse, or flagged, is rejected
        ok = (
            ~new.failed_linesearch
            & finite(new)
            & (new.value <= state.value + APPROX_WOLFE * jnp.abs(state.value))
        )
        reset = state._replace(
            iter_num=new.iter_num,
            s_history=jnp.zeros_like(state.s_history),
            y_history=jnp.zeros_like(state.y_history),
            rho_history=jnp.zeros_like(state.rho_history),
            gamma=jnp.ones_like(state.gamma),
            stepsize=jnp.ones_like(state.stepsize) * solver.max_stepsize,
            num_fun_eval=new.num_fun_eval,
            num_grad_eval=new.num_grad_eval,
            num_linesearch_iter=new.num_linesearch_iter,
        )
        state_out = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, reset)
        u_out = jnp.where(ok, step.params, u)
        return u_out, state_out, ~ok, ~ok & fresh

    init = (u0, state0, jnp.asarray(True), jnp.asarray(False))
    u, state, _, failed = jax.lax.while_loop(cond, body, init)
    return _Exit(
        u=u,
        f=state.value,
        grad=state.grad,
        nit=state.iter_num,
        nfev=state.num_fun_eval,
        failed=failed,
    )


@functools.cache
def _batched_solver() -> Callable[..., _Exit]:
    """The jitted, vmapped solve; compiled once per (problems, weight sets, points) shape."""
    jax, _, _ = _load()

    def one(
        u0: Any,
        wi: Any,
        weight_sets: Any,
        x: Any,
        y: Any,
        logl: Any,
        delta: Any,
        max_iter: Any,
        g_abs: Any,
    ) -> _Exit:
        args = (weight_sets[wi], x, y, logl, delta)
        return _lbfgs_minimize(_objective, u0, args, max_iter, g_abs)

    batched = jax.vmap(one, in_axes=(0, 0, None, None, None, None, None, None, None))
    return jax.jit(batched)  # type: ignore[no-any-return]


def _x64() -> Any:
    """Context manager enabling float64 in JAX for its body only."""
    return _load().jax.enable_x64(True)


def _device_args(
    starts: FloatArray,
    weight_sets: FloatArray,
    weight_index: IntArray,
    data: _Prepared,
    max_iter: int,
    g_abs: float,
) -> tuple[Any, ...]:
    """Arguments of :func:`_batched_solver` as float64/int64 JAX arrays (call under x64)."""
    jnp = _load().jnp
    f64 = jnp.float64
    return (
        jnp.asarray(starts, dtype=f64),
        jnp.asarray(weight_index, dtype=jnp.int64),
        jnp.asarray(weight_sets, dtype=f64),
        jnp.asarray(data.x, dtype=f64),
        jnp.asarray(data.y, dtype=f64),
        jnp.asarray(data.logl, dtype=f64),
        jnp.asarray(data.delta, dtype=f64),
        jnp.asarray(max_iter, dtype=jnp.int64),
        jnp.asarray(g_abs, dtype=f64),
    )


def _statuses(exit_: _Exit, g_abs: float) -> IntArray:
    """Kernel exit codes from the final state, verified after the fact."""
    f = np.asarray(exit_.f, dtype=np.float64)
    g = np.asarray(exit_.grad, dtype=np.float64)
    finite = np.isfinite(f) & np.all(np.isfinite(g), axis=1)
    gn = np.where(finite, np.max(np.abs(g), axis=1), np.inf)
    status = np.full(f.shape[0], K.MAX_ITER, dtype=np.int64)
    status[np.asarray(exit_.failed, dtype=bool)] = K.LINE_SEARCH_FAILED
    status[gn <= g_abs] = K.CONVERGED
    status[~finite] = K.NON_FINITE
    return status


def solve_batch(
    starts: FloatArray,
    weight_sets: FloatArray,
    weight_index: IntArray,
    data: _Prepared,
    max_iter: int,
    g_abs: float,
) -> BatchResult:
    """Minimise the weighted Huber objective from every row of ``starts``, in JAX.

    Same contract as :func:`chinchilla_laws._solver.solve_batch`: ``starts`` is
    ``(S, 5)`` in internal coordinates, problem ``j`` weights the points with
    ``weight_sets[weight_index[j]]``, ``g_abs`` bounds ``max|grad|``. All ``S``
    problems run as one vmapped L-BFGS solve in float64; no start is abandoned.

    Raises
    ------
    ImportError
        When jax, jaxlib or jaxopt is missing (with the install hint).
    """
    mods = _load()
    solver = _batched_solver()
    with _x64():
        args = _device_args(starts, weight_sets, weight_index, data, max_iter, g_abs)
        out = mods.jax.block_until_ready(solver(*args))
        exit_ = _Exit(*(np.asarray(a) for a in out))
    status = _statuses(exit_, g_abs)
    return BatchResult(
        u=np.ascontiguousarray(exit_.u, dtype=np.float64),
        f=np.ascontiguousarray(exit_.f, dtype=np.float64),
        grad=np.ascontiguousarray(exit_.grad, dtype=np.float64),
        nit=np.ascontiguousarray(exit_.nit, dtype=np.int64),
        nfev=np.ascontiguousarray(exit_.nfev, dtype=np.int64),
        status=status,
    )
