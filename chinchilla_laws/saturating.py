r"""A saturating power law of one variable, ``L(C) = E + A C^{-alpha}``.

For loss-versus-compute curves (or any loss against one positive variable).
:func:`chinchilla_laws.fit_power_law` stays the plain log-log fit without ``E``;
this family is fitted by :func:`chinchilla_laws.fit_law` with the same engine as
the parametric laws (grid of starts, verified convergence, fixed ``E``, bootstrap):

>>> import numpy as np
>>> import chinchilla_laws as cl
>>> c = np.geomspace(1e18, 1e22, 12)
>>> law = cl.SaturatingPowerLaw(E=1.7, A=3.0e3, alpha=0.18)
>>> fit = cl.fit_law("saturating", {"compute": c, "loss": law.loss(c)})
>>> print(f"E={fit.law.E:.4f} alpha={fit.law.alpha:.4f}")
E=1.7000 alpha=0.1800
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels as K
from ._typing import BoolArray, FloatArray
from .family import Design, LawFamily, register_family
from .kaplan import _check_positive_fields
from .result import LawRecord

if TYPE_CHECKING:
    from ._problem import Problem
from ._validation import as_positive_array

__all__ = ["SATURATING", "SaturatingFamily", "SaturatingPowerLaw"]


@dataclass(frozen=True, slots=True)
class SaturatingPowerLaw(LawRecord):
    r"""``L(C) = E + A C^{-alpha}``: a power law that saturates at ``E``.

    Parameters
    ----------
    E, A, alpha : float
        Irreducible loss, scale and exponent (positive).
    name : str, optional
        A label.
    """

    E: float
    A: float
    alpha: float
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check_positive_fields(self, ("E", "A", "alpha"))

    @property
    def params(self) -> dict[str, float]:
        """The law's parameters by name (``E, A, alpha``)."""
        return {"E": self.E, "A": self.A, "alpha": self.alpha}

    def loss(self, compute: ArrayLike) -> FloatArray:
        """``E + A * C**-alpha``."""
        c = as_positive_array(compute, "compute")
        out: FloatArray = np.asarray(self.E + self.A * np.power(c, -self.alpha), dtype=np.float64)
        return out

    def __call__(self, compute: ArrayLike) -> FloatArray:
        return self.loss(compute)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        return f"SaturatingPowerLaw(E={self.E!r}, A={self.A!r}, alpha={self.alpha!r}{label})"


class SaturatingFamily(LawFamily):
    """``L(C) = E + A C^-alpha`` (registered as ``"saturating"``; data ``compute, loss``).

    Solver coordinates ``theta = (log A, log E, alpha)``; the kernel works on
    ``u = (log A - alpha m, log E, alpha s)`` with ``x = (log C - m) / s``.
    """

    name = "saturating"
    equation = "L(C) = E + A/C^alpha"
    param_names = ("E", "A", "alpha")
    theta_params = ("A", "E", "alpha")
    log_theta = (True, True, False)
    theta_names = ("a", "e", "alpha")
    exponents = ("alpha",)
    data_names = ("compute", "loss")
    start_low = (0.0, -1.0, 0.0)
    start_high = (40.0, 1.5, 1.5)

    DEAD_SHARE = 1e-6

    @property
    def kernel(self) -> Any:
        return K.saturating_objective_grad

    def jax_objective(self, u: Any, X: Any, aux: Any, target: Any, w: Any, delta: Any) -> Any:
        import jax.numpy as jnp

        r = jnp.logaddexp(u[0] - u[2] * X[:, 0], u[1]) - target
        c = jnp.clip(r, -delta, delta)
        return jnp.sum(w * c * (r - 0.5 * c))

    def design(self, data: Mapping[str, FloatArray]) -> Design:
        log_c = np.log(data["compute"])
        m = float(np.mean(log_c))
        s = float(np.std(log_c))
        s = s if s > 0 else 1.0
        S = np.eye(3)
        S[0, 2] = -m
        S[2, 2] = s
        return Design(
            X=((log_c - m) / s)[:, None], target=np.log(data["loss"]), scale=S, offset=np.zeros(3)
        )

    def identifiability(self, data: Mapping[str, FloatArray], active: BoolArray) -> list[str]:
        distinct = np.unique(data["compute"][active]).size
        if distinct < 2:
            raise ValueError(
                "`compute` must take at least two distinct values; got one for every point."
            )
        if distinct < 3:
            return [
                f"`compute` takes only {distinct} distinct values: a power law plus a "
                "constant needs at least 3, so E cannot be told apart from A and alpha."
            ]
        return []

    def degenerate(self, thetas: FloatArray, problem: Problem, weights: FloatArray) -> BoolArray:
        active = weights > 0
        x = problem.X[active, 0]
        u = problem.to_u(np.atleast_2d(thetas))
        p1 = u[:, 0:1] - u[:, 2:3] * x[None, :]
        p2 = np.broadcast_to(u[:, 1:2], p1.shape)
        m = np.maximum(p1, p2)
        with np.errstate(over="ignore", invalid="ignore"):
            s1 = np.exp(p1 - m) / (np.exp(p1 - m) + np.exp(p2 - m))
        dead = (s1.max(axis=1) < self.DEAD_SHARE) | ((1.0 - s1).max(axis=1) < self.DEAD_SHARE)
        flat = np.abs(u[:, 2]) * np.ptp(x) < self.DEAD_SHARE
        out: BoolArray = dead | flat | ~np.isfinite(u).all(axis=1)
        return out

    def default_starts(self) -> FloatArray:
        a = np.arange(0.0, 41.0, 5.0)
        e = np.arange(-1.0, 1.51, 0.5)
        ex = np.array([0.05, 0.1, 0.2, 0.4, 0.8, 1.2])
        mesh = np.meshgrid(a, e, ex, indexing="ij")
        return np.ascontiguousarray(np.stack([m.ravel() for m in mesh], axis=1))

    def make_law(self, params: Mapping[str, float], *, name: str = "") -> SaturatingPowerLaw:
        return SaturatingPowerLaw(name=name, **{k: params[k] for k in self.param_names})


SATURATING = register_family(SaturatingFamily())
"""The saturating power-law family (registered as ``"saturating"``)."""
SaturatingPowerLaw.family = SATURATING
