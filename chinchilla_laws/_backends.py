"""The backend contract and the one registry that picks a backend by name (private).

A backend minimises a :class:`~chinchilla_laws._problem.Problem`'s objective from
many starts (or for many weight sets, a bootstrap) at once::

    result = backend.solve(problem, starts, weight_sets, options, progress)

``starts`` is ``(S, m)`` in the solver coordinates ``z`` of the problem, problem
``j`` weights the points with ``weight_sets.sets[weight_sets.index[j]]``,
``options`` is a :class:`SolverOptions` (``gtol`` absolute, on ``max|grad|`` in
``z``), ``progress(done, total)`` is called as runs finish. The result is a
:class:`BatchResult` with per-run end points, objectives, gradients, counts and
exit codes (:mod:`chinchilla_laws._lbfgs`).

Register a backend with :func:`register_backend` (an instance, or a zero-argument
loader for one that imports optional dependencies lazily); entry points ask
:func:`get_backend` for it by name. An option a backend cannot honour warns
(``BackendOptionWarning``), as scipy's ``minimize`` does for unused options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ._typing import FloatArray, IntArray
from ._validation import _describe

if TYPE_CHECKING:
    from ._problem import Problem, WeightSets

__all__ = [
    "Backend",
    "BatchResult",
    "SolverOptions",
    "backend_names",
    "get_backend",
    "register_backend",
]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Where each run of a batch ended (solver coordinates ``z``)."""

    u: FloatArray  # (S, m) end points
    f: FloatArray  # (S,) objective at the end point
    grad: FloatArray  # (S, m) gradient at the end point
    nit: IntArray
    nfev: IntArray
    status: IntArray  # exit codes of chinchilla_laws._lbfgs


@dataclass(frozen=True, slots=True)
class SolverOptions:
    """Options of a batched solve.

    ``abandon=None`` means the backend's default; ``True`` asks for abandonment of
    stuck runs, which a backend without rounds cannot honour (it warns).
    """

    max_iter: int = 1000
    gtol: float = 1e-9
    abandon: bool | None = None
    round_iters: int = 2
    abandon_after: int = 4
    abandon_gap: float = 0.05
    abandon_progress: float = 0.005


class Backend(Protocol):
    """What a solver backend provides."""

    name: str
    options_honoured: frozenset[str]
    """Names of the :class:`SolverOptions` fields the backend uses."""

    def solve(
        self,
        problem: Problem,
        starts: FloatArray,
        weight_sets: WeightSets,
        options: SolverOptions,
        progress: Progress | None,
    ) -> BatchResult: ...


_REGISTRY: dict[str, Backend | Callable[[], Backend]] = {}


def register_backend(name: str, backend: Backend | Callable[[], Backend]) -> None:
    """Register ``backend`` (or a loader returning it) under ``name``."""
    _REGISTRY[name] = backend


def backend_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get_backend(name: object) -> Backend:
    """The backend registered as ``name`` (``ValueError`` naming ``backend`` otherwise)."""
    if not isinstance(name, str):
        raise TypeError(f"`backend` must be one of {list(_REGISTRY)}; got {_describe(name)}.")
    try:
        entry = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"`backend` must be one of {list(_REGISTRY)}; got {name!r}.") from None
    if callable(entry) and not hasattr(entry, "solve"):
        loaded: Backend = entry()
        _REGISTRY[name] = loaded
        return loaded
    return entry  # type: ignore[return-value]


def check_options(backend: Backend, options: SolverOptions) -> None:
    """Warn when ``options`` ask for something ``backend`` cannot honour."""
    from ._warn import warn
    from .warnings import BackendOptionWarning

    if options.abandon and "abandon" not in backend.options_honoured:
        warn(
            f"backend {backend.name!r} does not use `abandon`: every start runs to "
            "convergence or `max_iter`.",
            BackendOptionWarning,
        )


def _load_jax() -> Backend:
    import importlib

    module = importlib.import_module("chinchilla_laws._jax")
    backend: Backend = module.BACKEND
    return backend


register_backend("jax", _load_jax)


def _load_jaxopt() -> Backend:
    import importlib

    module = importlib.import_module("chinchilla_laws._jaxopt")
    backend: Backend = module.BACKEND
    return backend


register_backend("jaxopt", _load_jaxopt)
