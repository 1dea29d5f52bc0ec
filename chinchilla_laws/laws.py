"""The Chinchilla law ``L(N, D) = E + A/N**alpha + B/D**beta`` and its closed-form frontier."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ._typing import FloatArray, readonly
from ._validation import _describe, as_float_array, as_positive_array, as_positive_scalar

if TYPE_CHECKING:
    from .planning import InferenceOptimal

__all__ = [
    "BESIROGLU_2024",
    "HOFFMANN_2022_PRINTED",
    "HOFFMANN_2022_TEX",
    "PRESETS",
    "ChinchillaLaw",
    "Frontier",
    "get_preset",
]

FLOPS_PER_PARAM_TOKEN = 6.0
"""The ``C = 6 N D`` convention: 2 FLOPs per parameter per token forward, 4 backward."""


def _as_budget(value: ArrayLike, name: str) -> tuple[FloatArray, bool]:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(
            f"`{name}` must be a number or an array of numbers; got {_describe(value)}."
        )
    arr = np.asarray(value)
    scalar = arr.ndim == 0
    out = as_float_array(np.atleast_1d(arr), name, positive=True)
    return out, scalar


def _finite_or_raise(values: FloatArray, what: str, name: str) -> FloatArray:
    """Closed-form results that overflow are a user-range problem, named as such."""
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        flow = "overflows" if np.any(np.isinf(values)) else "underflows to 0 in"
        raise ValueError(
            f"`{name}` is out of range: the {what} {flow} float64 for "
            f"{int(np.count_nonzero(bad))} entr(y/ies)."
        )
    return values


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Frontier:
    """The compute-optimal allocation at a set of budgets.

    Attributes
    ----------
    compute : ndarray
        Training budgets ``C`` in FLOPs (``C = 6 N D``).
    n_params : ndarray
        Compute-optimal parameter counts ``N_opt(C)``.
    n_tokens : ndarray
        Compute-optimal token counts ``D_opt(C) = C / (6 N_opt)``.
    loss : ndarray
        The law's loss at ``(N_opt, D_opt)``.
    """

    compute: FloatArray
    n_params: FloatArray
    n_tokens: FloatArray
    loss: FloatArray

    def __post_init__(self) -> None:
        for name in ("compute", "n_params", "n_tokens", "loss"):
            readonly(getattr(self, name))

    @property
    def tokens_per_param(self) -> FloatArray:
        """``D_opt / N_opt`` at each budget."""
        return self.n_tokens / self.n_params

    def __repr__(self) -> str:
        rows = ", ".join(
            f"(C={c:.4g}, N={n:.4g}, D={d:.4g}, L={lo:.6g})"
            for c, n, d, lo in zip(
                self.compute, self.n_params, self.n_tokens, self.loss, strict=True
            )
        )
        return f"Frontier([{rows}])"


@dataclass(frozen=True, slots=True)
class ChinchillaLaw:
    r"""The parametric loss law of Hoffmann et al. (2022), Approach 3.

    .. math::

        L(N, D) = E + \frac{A}{N^\alpha} + \frac{B}{D^\beta}

    Parameters are stored unrounded; ``theta = (log A, log B, log E, alpha, beta)``
    is the vector the fit optimises.

    Parameters
    ----------
    E, A, B : float
        Irreducible loss and the two scale coefficients (positive).
    alpha, beta : float
        Exponents for parameters ``N`` and tokens ``D`` (positive).
    name : str, optional
        A label used in tables and figures.

    Notes
    -----
    Minimising ``L`` subject to ``C = 6 N D`` gives the closed form (Hoffmann et
    al. 2022, Eq. 4)

    .. math::

        N_{opt}(C) = G \left(\frac{C}{6}\right)^{a}, \quad
        D_{opt}(C) = G^{-1} \left(\frac{C}{6}\right)^{b}, \quad
        G = \left(\frac{\alpha A}{\beta B}\right)^{\frac{1}{\alpha+\beta}},

    with ``a = beta / (alpha + beta)`` and ``b = alpha / (alpha + beta)``.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556. Besiroglu et al. (2024), "Chinchilla Scaling: A replication
    attempt", arXiv:2404.10102.

    Examples
    --------
    >>> from chinchilla_laws import HOFFMANN_2022_TEX
    >>> f = HOFFMANN_2022_TEX.optimal(5.76e23)
    >>> print(f"{f.n_params[0]:.4g} params, {f.n_tokens[0]:.4g} tokens")
    4.036e+10 params, 2.379e+12 tokens
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for attr in ("E", "A", "B", "alpha", "beta"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(
                value, (int, float, np.floating, np.integer)
            ):
                raise TypeError(f"`{attr}` must be a real number; got {_describe(value)}.")
            fv = float(value)
            if not (math.isfinite(fv) and fv > 0):
                raise ValueError(f"`{attr}` must be a finite positive number; got {fv!r}.")
            object.__setattr__(self, attr, fv)
        if not isinstance(self.name, str):
            raise TypeError(f"`name` must be a string; got {_describe(self.name)}.")

    # ------------------------------------------------------------------ parameters
    @classmethod
    def from_theta(cls, theta: ArrayLike, *, name: str = "") -> ChinchillaLaw:
        """Build a law from ``theta = (log A, log B, log E, alpha, beta)``."""
        t = as_float_array(theta, "theta")
        if t.shape != (5,):
            raise ValueError(
                f"`theta` must have 5 entries (a, b, e, alpha, beta); got {t.shape[0]}."
            )
        return cls(
            E=math.exp(t[2]), A=math.exp(t[0]), B=math.exp(t[1]), alpha=t[3], beta=t[4], name=name
        )

    @property
    def theta(self) -> FloatArray:
        """``(log A, log B, log E, alpha, beta)``, the optimiser's coordinates."""
        return np.array(
            [math.log(self.A), math.log(self.B), math.log(self.E), self.alpha, self.beta]
        )

    @property
    def a(self) -> float:
        """Exponent of ``N_opt ∝ C^a``: ``beta / (alpha + beta)``."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C^b``: ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        """``(alpha A / (beta B))^(1 / (alpha + beta))`` of the closed form.

        ``inf`` (or 0) when it is out of float64 range; the frontier then raises.
        """
        try:
            return math.exp(self._log_g())
        except OverflowError:
            return math.inf

    def _log_g(self) -> float:
        """``log G``, computed in logs so that it is finite for every valid law."""
        return (
            math.log(self.alpha) + math.log(self.A) - math.log(self.beta) - math.log(self.B)
        ) / (self.alpha + self.beta)

    # ------------------------------------------------------------------ evaluation
    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
        """The loss ``E + A/N**alpha + B/D**beta`` (broadcasting ``N`` against ``D``)."""
        n = as_positive_array(n_params, "n_params")
        d = as_positive_array(n_tokens, "n_tokens")
        try:
            np.broadcast_shapes(n.shape, d.shape)
        except ValueError:
            raise ValueError(
                f"`n_params` and `n_tokens` must broadcast together; got shapes {n.shape} "
                f"and {d.shape}."
            ) from None
        out: FloatArray = np.asarray(
            self.E + self.A * np.power(n, -self.alpha) + self.B * np.power(d, -self.beta),
            dtype=np.float64,
        )
        return out

    def __call__(self, n_params: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
        return self.loss(n_params, n_tokens)

    def optimal(self, compute: ArrayLike, *, flops_per_param_token: float = 6.0) -> Frontier:
        """The compute-optimal ``N``, ``D`` and loss at budgets ``compute`` (FLOPs).

        ``compute`` follows ``C = k N D`` with ``k = flops_per_param_token`` (6 by
        default, the paper's convention).
        """
        c, _ = _as_budget(compute, "compute")
        k = _check_k(flops_per_param_token)
        ck = np.log(c / k)
        log_g = self._log_g()
        with np.errstate(over="ignore", under="ignore"):
            n = np.exp(log_g + self.a * ck)
            d = np.exp(-log_g + self.b * ck)
        bad = ~((n > 0) & np.isfinite(n) & (d > 0) & np.isfinite(d))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"`compute` = {float(c[i]):.6g} is out of range for this law: its frontier "
                f"N_opt = {float(n[i]):.3g}, D_opt = {float(d[i]):.3g} is not a finite positive "
                f"float64 (log G = {log_g:.6g}; A = {self.A:.6g}, B = {self.B:.6g})."
            )
        return Frontier(compute=c.copy(), n_params=n, n_tokens=d, loss=self.loss(n, d))

    def optimal_for_params(
        self, n_params: ArrayLike, *, flops_per_param_token: float = 6.0
    ) -> Frontier:
        """The budget (and tokens) for which ``n_params`` is compute-optimal.

        This answers the paper's Table 3: ``C = k (N / G)^(1/a)`` and
        ``D = C / (k N)``, with ``k = flops_per_param_token``.
        """
        n, _ = _as_budget(n_params, "n_params")
        k = _check_k(flops_per_param_token)
        with np.errstate(over="ignore", under="ignore"):
            c = _finite_or_raise(
                k * np.exp((np.log(n) - self._log_g()) / self.a), "optimal budget", "n_params"
            )
        with np.errstate(under="ignore"):
            d = _finite_or_raise(c / (k * n), "optimal token count", "n_params")
        return Frontier(compute=c, n_params=n.copy(), n_tokens=d, loss=self.loss(n, d))

    def optimal_for_tokens(
        self, n_tokens: ArrayLike, *, flops_per_param_token: float = 6.0
    ) -> Frontier:
        """The budget (and model size) for which ``n_tokens`` is compute-optimal."""
        d, _ = _as_budget(n_tokens, "n_tokens")
        k = _check_k(flops_per_param_token)
        with np.errstate(over="ignore", under="ignore"):
            c = _finite_or_raise(
                k * np.exp((np.log(d) + self._log_g()) / self.b), "optimal budget", "n_tokens"
            )
        with np.errstate(under="ignore"):
            n = _finite_or_raise(c / (k * d), "optimal model size", "n_tokens")
        return Frontier(compute=c, n_params=n, n_tokens=d.copy(), loss=self.loss(n, d))

    def optimal_for_loss(self, loss: ArrayLike, *, flops_per_param_token: float = 6.0) -> Frontier:
        """The training-compute-minimal ``N``, ``D`` and ``C`` that reach ``loss``.

        See :func:`chinchilla_laws.planning.optimal_for_loss`.
        """
        from .planning import optimal_for_loss

        return optimal_for_loss(self, loss, flops_per_param_token=flops_per_param_token)

    def inference_optimal(
        self,
        loss: ArrayLike,
        inference_tokens: ArrayLike,
        *,
        flops_per_inference_token: float = 2.0,
        flops_per_param_token: float = 6.0,
    ) -> InferenceOptimal:
        """The model reaching ``loss`` at the least training plus inference FLOPs.

        See :func:`chinchilla_laws.planning.inference_optimal`.
        """
        from .planning import inference_optimal

        return inference_optimal(
            self,
            loss,
            inference_tokens,
            flops_per_inference_token=flops_per_inference_token,
            flops_per_param_token=flops_per_param_token,
        )

    def tokens_per_param(
        self, compute: ArrayLike, *, flops_per_param_token: float = 6.0
    ) -> FloatArray:
        """``D_opt / N_opt`` at budgets ``compute`` (FLOPs, ``C = 6 N D`` by default)."""
        return self.optimal(compute, flops_per_param_token=flops_per_param_token).tokens_per_param

    def with_name(self, name: str) -> ChinchillaLaw:
        """The same law under another label."""
        return ChinchillaLaw(
            E=self.E, A=self.A, B=self.B, alpha=self.alpha, beta=self.beta, name=name
        )

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        return (
            f"ChinchillaLaw(E={self.E!r}, A={self.A!r}, B={self.B!r}, "
            f"alpha={self.alpha!r}, beta={self.beta!r}{label})"
        )

    def as_dict(self) -> dict[str, Any]:
        """Parameters and derived exponents as plain floats (for JSON)."""
        return {
            "name": self.name,
            "E": self.E,
            "A": self.A,
            "B": self.B,
            "alpha": self.alpha,
            "beta": self.beta,
            "a": self.a,
            "b": self.b,
            "G": self.G,
        }


def _check_k(value: Any) -> float:
    return as_positive_scalar(value, "flops_per_param_token")


HOFFMANN_2022_PRINTED = ChinchillaLaw(
    E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, name="Hoffmann et al. 2022 (printed)"
)
"""Hoffmann et al. (2022), Appendix D.2, as printed (rounded)."""

HOFFMANN_2022_TEX = ChinchillaLaw.from_theta(
    [6.0073404, 6.0179186, 0.5267228, 0.33917084, 0.2849083],
    name="Hoffmann et al. 2022 (TeX source)",
)
"""Hoffmann et al. (2022), unrounded values from the paper's TeX source."""

BESIROGLU_2024 = ChinchillaLaw(
    E=1.81686, A=482.006, B=2085.434, alpha=0.34781, beta=0.36585, name="Besiroglu et al. 2024"
)
"""Besiroglu et al. (2024), main (maximum-likelihood) estimate on the 240-point Epoch set."""

PRESETS: dict[str, ChinchillaLaw] = {
    "hoffmann2022": HOFFMANN_2022_PRINTED,
    "hoffmann2022-tex": HOFFMANN_2022_TEX,
    "besiroglu2024": BESIROGLU_2024,
}
"""Named presets, keyed as the command line accepts them."""


def get_preset(name: str) -> ChinchillaLaw:
    """Return a preset law by name (``hoffmann2022``, ``hoffmann2022-tex``, ``besiroglu2024``)."""
    if not isinstance(name, str):
        raise TypeError(f"`name` must be one of {sorted(PRESETS)}; got {_describe(name)}.")
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"`name` must be one of {sorted(PRESETS)}; got {name!r}.") from None
