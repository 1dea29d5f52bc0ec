"""Optional jaxopt backend: every start of a batch in one vmapped ``jaxopt.LBFGS`` solve (private).

``backend="jaxopt"`` is a reference implementation: jaxopt's own L-BFGS (memory
``HISTORY``, its strong-Wolfe "zoom" line search), vmapped over the starts (or the
bootstrap's resamples, through the weight sets) and jitted as one solve. It is for
cross-checks of the ``"jax"`` and ``"numba"`` backends and for small problems; the
``"jax"`` backend (:mod:`chinchilla_laws._jax`) is the one that scales: under
``vmap`` every jaxopt iteration waits for the longest line search of the batch, and
there are no rounds, so nothing is abandoned or compacted.

Nothing here is imported by ``import chinchilla_laws``; :func:`_load` imports JAX and
jaxopt on first use and raises :class:`ImportError` with the install hint when
either is absent. jaxopt's import-time :class:`DeprecationWarning` (it is
unmaintained) is filtered, exactly that one. All arithmetic runs in float64 inside
``jax.enable_x64(True)`` used as a context manager; the process-wide JAX
configuration is left alone.

jaxopt is touched only by :func:`_lbfgs_minimize` (and the import in
:func:`_load`); swapping it for optax or optimistix means rewriting that one
function. The objective is the one the ``"jax"`` backend consumes
(:func:`chinchilla_laws._jax.family_objective`: the family's ``jax_objective`` at
``u = Q z + m0``), so the backend is generic over law families.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import _lbfgs as K
from ._backends import BatchResult, Progress, SolverOptions
from ._jax import family_objective
from ._typing import FloatArray, IntArray

if TYPE_CHECKING:
    from ._problem import Problem, WeightSets

__all__ = ["BACKEND", "JaxoptBackend", "solve_batch"]

INSTALL_HINT = "pip install 'chinchilla_laws[jax]'"

# the exact warning jaxopt emits at import (jaxopt/__init__.py, 0.8.x)
_JAXOPT_IMPORT_WARNING = r"JAXopt is no longer maintained\. See https://docs\.jax\.dev/en/latest/"

HISTORY = K.HISTORY
MAX_LINESEARCH = 10
"""Line-search steps per iteration. Under vmap every iteration waits for the
longest line search of the batch, so a short cap pays: a failed search only costs
a history reset and a retry along ``-grad``."""
APPROX_WOLFE = 1e-6
"""jaxopt's zoom accepts "approximate Wolfe" steps up to ``c3 = 1e-6`` relative
above the start; a step worse than that is rejected."""


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
            f"backend='jaxopt' needs jax, jaxlib and jaxopt; install them with {INSTALL_HINT}"
        ) from exc
    return _Modules(jax=jax, jnp=jnp, jaxopt=jaxopt)


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
        jit=True,
        unroll=False,
    )
    state0 = solver.init_state(u0, *args)

    def finite(state: Any) -> Any:
        return jnp.isfinite(state.value) & jnp.all(jnp.isfinite(state.grad))

    def cond(carry: tuple[Any, Any, Any, Any]) -> Any:
        _, state, _, failed = carry
        gnorm = jnp.max(jnp.abs(state.grad))
        return (state.iter_num < max_iter) & (gnorm > g_abs) & finite(state) & ~failed

    def body(carry: tuple[Any, Any, Any, Any]) -> tuple[Any, Any, Any, Any]:
        u, state, fresh, _ = carry
        step = solver.update(u, state, *args)
        new = step.state
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
        u=u, f=state.value, grad=state.grad, nit=state.iter_num, nfev=state.num_fun_eval,
        failed=failed,
    )  # fmt: skip


@functools.cache
def _batched_solver(objective: Callable[..., Any]) -> Callable[..., _Exit]:
    """The jitted, vmapped solve of ``objective``; compiled once per shape."""
    jax = _load().jax

    def one(u0: Any, wi: Any, weight_sets: Any, data: Any, delta: Any, max_iter: Any,
            g_abs: Any) -> _Exit:  # fmt: skip
        return _lbfgs_minimize(objective, u0, (weight_sets[wi], data, delta), max_iter, g_abs)

    batched = jax.vmap(one, in_axes=(0, 0, None, None, None, None, None))
    return jax.jit(batched)  # type: ignore[no-any-return]


def _statuses(f: FloatArray, g: FloatArray, nit: IntArray, failed: Any, options: SolverOptions
              ) -> IntArray:  # fmt: skip
    """Exit codes from the final state, decided on the host after the fact.

    Converged when ``max|grad| <= gtol`` at exit, whatever stopped the loop;
    otherwise non-finite, a line search that failed from an empty history, or
    ``max_iter``.
    """
    finite = np.isfinite(f) & np.all(np.isfinite(g), axis=1)
    gn = np.where(finite, np.max(np.abs(g), axis=1, initial=0.0), np.inf)
    status = np.full(f.shape[0], K.MAX_ITER, dtype=np.int64)
    status[np.asarray(failed, dtype=bool) & (nit < options.max_iter)] = K.LINE_SEARCH_FAILED
    status[gn <= options.gtol] = K.CONVERGED
    status[~finite] = K.NON_FINITE
    return status


def solve_batch(
    objective: Callable[..., Any],
    starts: FloatArray,
    weight_sets: FloatArray,
    weight_index: IntArray,
    data: tuple[FloatArray, ...],
    delta: float,
    options: SolverOptions,
) -> BatchResult:
    """Minimise ``objective`` from every row of ``starts`` in one vmapped jaxopt solve.

    ``objective(u, w, data, delta)`` is written in ``jax.numpy`` (the contract of
    :func:`chinchilla_laws._jax.solve_rounds`); start ``j`` weights the points with
    ``weight_sets[weight_index[j]]``; ``options.gtol`` bounds ``max|grad|``. No
    start is abandoned.

    Raises
    ------
    ImportError
        When jax, jaxlib or jaxopt is missing (with the install hint).
    """
    mods = _load()
    jax, jnp = mods.jax, mods.jnp
    solver = _batched_solver(objective)
    with jax.enable_x64(True):
        f64 = jnp.float64
        out = solver(
            jnp.asarray(starts, dtype=f64),
            jnp.asarray(weight_index, dtype=jnp.int64),
            jnp.asarray(weight_sets, dtype=f64),
            tuple(jnp.asarray(a, dtype=f64) for a in data),
            jnp.asarray(delta, dtype=f64),
            jnp.asarray(options.max_iter, dtype=jnp.int64),
            jnp.asarray(options.gtol, dtype=f64),
        )
        ex = _Exit(*jax.device_get(out))
    f = np.array(ex.f, dtype=np.float64)
    g = np.array(ex.grad, dtype=np.float64).reshape(starts.shape)
    nit = np.array(ex.nit, dtype=np.int64)
    return BatchResult(
        u=np.array(ex.u, dtype=np.float64).reshape(starts.shape),
        f=f,
        grad=g,
        nit=nit,
        nfev=np.array(ex.nfev, dtype=np.int64),
        status=_statuses(f, g, nit, ex.failed, options),
    )


class JaxoptBackend:
    """The backend contract (:mod:`chinchilla_laws._backends`) over :func:`solve_batch`."""

    name = "jaxopt"
    options_honoured = frozenset({"max_iter", "gtol"})

    def solve(
        self,
        problem: Problem,
        starts: FloatArray,
        weight_sets: WeightSets,
        options: SolverOptions,
        progress: Progress | None = None,
    ) -> BatchResult:
        res = solve_batch(
            family_objective(problem.family),
            starts,
            weight_sets.sets,
            weight_sets.index,
            problem.kernel_args,
            problem.delta,
            options,
        )
        if progress is not None:  # one solve: every start finishes at once
            progress(starts.shape[0], starts.shape[0])
        return res


BACKEND = JaxoptBackend()
